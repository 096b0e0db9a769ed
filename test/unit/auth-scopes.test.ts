import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatScope, formatScopes, mergeScopes, parseScope, parseScopes, requestsOnlyPull, ScopeError, sortActions, type Scope,
} from '../../src/auth/scopes.ts';

function parsed(text: string): Scope {
  const result = parseScope(text);
  if (!result.ok) assert.fail(`${text}: ${result.error.message}`);
  return result.value;
}

function failure(text: string): ScopeError {
  const result = parseScope(text);
  if (result.ok) assert.fail(`${text} parsed as ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('parseScope (spec 1.6)', () => {
  it('splits type:name:actions into a type, a name and a set of actions', () => {
    const scope = parsed('repository:team/app:pull');
    assert.equal(scope.type, 'repository');
    assert.equal(scope.name, 'team/app');
    assert.deepEqual([...scope.actions], ['pull']);
    assert.equal(scope.resourceClass, undefined);
  });

  it('reads the type up to the first colon and the actions after the last, so a GUN keeps its host port', () => {
    const scope = parsed('repository:reg.example.com:5443/team/app:push,pull');
    assert.equal(scope.type, 'repository');
    assert.equal(scope.name, 'reg.example.com:5443/team/app');
    assert.deepEqual(scope.actions, new Set(['pull', 'push']));
  });

  it('accepts GUNs without a port and bracketed IPv6 hosts', () => {
    assert.equal(parsed('repository:reg.example.com/team/app:pull').name, 'reg.example.com/team/app');
    assert.equal(parsed('repository:[::1]:5443/app:pull').name, '[::1]:5443/app');
  });

  it('treats repository(plugin) as repository and keeps the class aside', () => {
    const scope = parsed('repository(plugin):vieux/sshfs:pull');
    assert.equal(scope.type, 'repository');
    assert.equal(scope.resourceClass, 'plugin');
    assert.equal(scope.name, 'vieux/sshfs');
  });

  it('treats actions as sets: pull,push ≡ push,pull, duplicates collapse', () => {
    assert.deepEqual(parsed('repository:a:pull,push').actions, parsed('repository:a:push,pull').actions);
    assert.deepEqual([...parsed('repository:a:pull,pull').actions], ['pull']);
  });

  it('accepts *, the registry catalog, the Wharf metadata actions and unknown well-formed actions', () => {
    assert.deepEqual([...parsed('repository:reg:5443/a:*').actions], ['*']);
    const catalog = parsed('registry:catalog:*');
    assert.equal(catalog.type, 'registry');
    assert.equal(catalog.name, 'catalog');
    assert.deepEqual(parsed('repository:a:metadataRead,metadataWrite').actions, new Set(['metadataRead', 'metadataWrite']));
    assert.deepEqual([...parsed('repository:a:frobnicate').actions], ['frobnicate']);
  });

  it('returns a typed ScopeError, never throws, for malformed scopes', () => {
    const cases: [string, ScopeError['reason']][] = [
      ['', 'missing-part'],
      ['repository', 'missing-part'],
      ['repository:a', 'missing-part'],
      ['::pull', 'bad-type'],
      ['Repository:a:pull', 'bad-type'],
      ['repository(:a:pull', 'bad-type'],
      ['repository::pull', 'bad-name'],
      ['repository:team/app:v1:pull', 'bad-name'],
      ['repository:a:b:5000/app:pull', 'bad-name'],
      ['repository:host:port/app:pull', 'bad-name'],
      ['repository:host:5000:pull', 'bad-name'],
      ['repository:te am:pull', 'bad-name'],
      ['repository:a\u0000b:pull', 'bad-name'],
      ['repository:a:', 'bad-action'],
      ['repository:a:pull,', 'bad-action'],
      ['repository:a:pu-ll', 'bad-action'],
      ['repository:host:5000/app', 'bad-action'],
      [`repository:${'a'.repeat(2000)}:pull`, 'bad-name'],
    ];
    for (const [text, reason] of cases) {
      const error = failure(text);
      assert.ok(error instanceof ScopeError, text);
      assert.equal(error.reason, reason, text);
      assert.ok(error.scope.length <= 200);
    }
  });
});

describe('parseScopes', () => {
  it('splits space-separated lists inside one value and accepts repeated values', () => {
    const result = parseScopes(['repository:a:pull repository:b:push,pull', 'registry:catalog:*', '']);
    assert.ok(result.ok);
    assert.deepEqual(result.value.map((s) => s.name), ['a', 'b', 'catalog']);
  });

  it('tolerates doubled and trailing spaces', () => {
    const result = parseScopes(['  repository:a:pull   repository:b:pull ']);
    assert.ok(result.ok);
    assert.equal(result.value.length, 2);
  });

  it('fails the whole list on the first malformed scope', () => {
    const result = parseScopes(['repository:a:pull', 'repository:b repository:c:pull']);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.reason, 'missing-part');
  });
});

describe('mergeScopes', () => {
  it('unions the actions of entries with the same type and exact name, in first-seen order', () => {
    const result = parseScopes(['repository:b:pull repository:a:pull repository:b:push repository(plugin):a:delete']);
    assert.ok(result.ok);
    const merged = mergeScopes(result.value);
    assert.deepEqual(merged.map((s) => [s.type, s.name, [...s.actions]]), [
      ['repository', 'b', ['pull', 'push']],
      ['repository', 'a', ['pull', 'delete']],
    ]);
  });

  it('keeps a GUN and its repository apart (names are echoed exactly)', () => {
    const result = parseScopes(['repository:reg:5443/a:pull repository:a:pull']);
    assert.ok(result.ok);
    assert.equal(mergeScopes(result.value).length, 2);
  });
});

describe('formatting', () => {
  it('keeps the given action order, for the reference servers\' challenge strings', () => {
    assert.equal(formatScope({ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }), 'repository:team/app:pull,push');
    assert.equal(formatScope({ type: 'repository', name: 'reg:5443/team/app', actions: ['push', 'pull'] }), 'repository:reg:5443/team/app:push,pull');
    assert.equal(formatScope({ type: 'registry', name: 'catalog', actions: ['*'] }), 'registry:catalog:*');
  });

  it('round-trips through parseScope', () => {
    const text = 'repository:reg.example.com:5443/team/app:push,pull';
    assert.equal(formatScope(parsed(text)), text);
  });

  it('sorts token actions as tokens list them, unknown ones last', () => {
    assert.deepEqual(sortActions(['metadataWrite', 'push', 'x', 'delete', 'pull', 'push']), ['pull', 'push', 'delete', 'metadataWrite', 'x']);
  });

  it('joins granted scopes with spaces for the OAuth2 scope field', () => {
    assert.equal(
      formatScopes([{ type: 'repository', name: 'a', actions: ['pull'] }, { type: 'registry', name: 'catalog', actions: ['*'] }]),
      'repository:a:pull registry:catalog:*',
    );
  });
});

describe('requestsOnlyPull (anonymous requests, spec 1.2)', () => {
  const scopes = (...values: string[]): Scope[] => {
    const result = parseScopes(values);
    assert.ok(result.ok);
    return result.value;
  };
  it('is true for pull-only repository scopes, GUNs included, and for no scope at all', () => {
    assert.equal(requestsOnlyPull(scopes('repository:a:pull', 'repository:reg:5443/a:pull')), true);
    assert.equal(requestsOnlyPull([]), true);
  });
  it('is false as soon as anything else is asked', () => {
    assert.equal(requestsOnlyPull(scopes('repository:a:pull,push')), false);
    assert.equal(requestsOnlyPull(scopes('repository:a:*')), false);
    assert.equal(requestsOnlyPull(scopes('registry:catalog:*')), false);
  });
});
