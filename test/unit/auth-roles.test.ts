import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRoleName, roleById, ROLE_NAMES, ROLES, type RoleName } from '../../src/auth/roles.ts';
import {
  isRepositoryPattern, parseRepositoryPattern, patternCovers, patternMatches, type RepositoryPattern,
} from '../../src/auth/repository-pattern.ts';
import {
  formatArmAction, parseArmAction, SCOPE_MAP_ACTION_PERMISSIONS, SYSTEM_SCOPE_MAPS, systemScopeMap,
} from '../../src/auth/scope-maps.ts';
import { isPermission, SCOPE_MAP_ACTIONS, type Permission } from '../../src/auth/permissions.ts';

function pattern(value: string): RepositoryPattern {
  const result = parseRepositoryPattern(value);
  if (!result.ok) assert.fail(`${value}: ${result.message}`);
  return result.pattern;
}

describe('built-in roles (spec 3)', () => {
  it('are the seven ACR roles with ACR\'s role definition GUIDs', () => {
    assert.deepEqual(
      Object.fromEntries(ROLE_NAMES.map((n) => [n, ROLES[n].id])),
      {
        Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
        Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
        Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
        AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
        AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
        AcrDelete: 'c2f4ef07-c644-48eb-af81-4b1b4947fb11',
        AcrImageSigner: '6cef56e8-d556-48e5-a04f-b8e64114680f',
      },
    );
    for (const name of ROLE_NAMES) assert.equal(ROLES[name].name, name);
  });

  it('finds roles by GUID (any case) and by name', () => {
    assert.equal(roleById('6CEF56E8-D556-48E5-A04F-B8E64114680F')?.name, 'AcrImageSigner');
    assert.equal(roleById('00000000-0000-0000-0000-000000000000'), undefined);
    assert.ok(isRoleName('AcrPush'));
    assert.ok(!isRoleName('acrpush'));
  });

  // The spec 3 table, column by column, in permission terms.
  const TABLE: Record<RoleName, { repository: Permission[]; registry: Permission[] }> = {
    Owner: {
      repository: ['content/read', 'content/write', 'content/delete', 'content/delete-referrers', 'metadata/read', 'metadata/write', 'content/sign', 'repository/import', 'trust/reset', 'access/read', 'access/write'],
      registry: ['registry/read', 'registry/write', 'registry/credentials', 'registry/catalog', 'access/read', 'access/write'],
    },
    Contributor: {
      repository: ['content/read', 'content/write', 'content/delete', 'content/delete-referrers', 'metadata/read', 'metadata/write', 'content/sign', 'repository/import', 'trust/reset'],
      registry: ['registry/read', 'registry/write', 'registry/credentials', 'registry/catalog', 'access/read'],
    },
    Reader: { repository: ['content/read', 'metadata/read'], registry: ['registry/read', 'registry/catalog', 'access/read'] },
    AcrPush: {
      repository: ['content/read', 'content/write', 'content/delete-referrers', 'metadata/read', 'metadata/write'],
      registry: ['registry/catalog'],
    },
    AcrPull: { repository: ['content/read', 'metadata/read'], registry: ['registry/catalog'] },
    AcrDelete: { repository: ['content/delete', 'content/delete-referrers'], registry: [] },
    AcrImageSigner: { repository: ['content/sign'], registry: [] },
  };

  it('hold exactly the permissions of the spec table', () => {
    for (const name of ROLE_NAMES) {
      assert.deepEqual(new Set(ROLES[name].repository), new Set(TABLE[name].repository), `${name} repository`);
      assert.deepEqual(new Set(ROLES[name].registry), new Set(TABLE[name].registry), `${name} registry`);
    }
  });

  it('list only known permissions', () => {
    for (const name of ROLE_NAMES) for (const p of [...ROLES[name].repository, ...ROLES[name].registry]) assert.ok(isPermission(p), p);
  });

  it('give _catalog to exactly the roles with pull ("registry-scope role with pull")', () => {
    for (const name of ROLE_NAMES) {
      assert.equal(ROLES[name].registry.includes('registry/catalog'), ROLES[name].repository.includes('content/read'), name);
    }
  });

  it('give metadata read to every role with pull and metadata write to Owner, Contributor, AcrPush only', () => {
    for (const name of ROLE_NAMES) {
      const r = ROLES[name].repository;
      assert.equal(r.includes('metadata/read'), r.includes('content/read'), name);
      assert.equal(r.includes('metadata/write'), ['Owner', 'Contributor', 'AcrPush'].includes(name), name);
    }
  });

  it('let only Owner, Contributor and AcrImageSigner sign; AcrImageSigner does not pull content', () => {
    const signers = ROLE_NAMES.filter((n) => ROLES[n].repository.includes('content/sign'));
    assert.deepEqual(signers, ['Owner', 'Contributor', 'AcrImageSigner']);
    assert.ok(!ROLES.AcrImageSigner.repository.includes('content/read'));
  });
});

describe('repository patterns (spec 4)', () => {
  it('accepts an exact name, * and a trailing /*', () => {
    for (const ok of ['team/app', 'app', '*', 'samples/*', 'a/b/*', 'reg.example.com/x']) assert.ok(isRepositoryPattern(ok), ok);
  });

  it('rejects other wildcards and invalid names, with a message', () => {
    for (const bad of ['team*', 'a/*/b', '*/*', '*/a', 'a/**', 'a/b*', '/*', '', 'Team/app', 'a//b', 'a/', `${'a'.repeat(254)}/*`, '**']) {
      const result = parseRepositoryPattern(bad);
      assert.equal(result.ok, false, bad);
      if (!result.ok) assert.ok(result.message.length > 0);
    }
  });

  it('matches: * everything, exact only itself, prefix/* anything below at any depth but not the prefix', () => {
    const cases: [string, string, boolean][] = [
      ['*', 'anything/at/all', true],
      ['team/app', 'team/app', true],
      ['team/app', 'team/app2', false],
      ['team/app', 'team/app/sub', false],
      ['team/*', 'team/app', true],
      ['team/*', 'team/app/sub', true],
      ['team/*', 'team', false],
      ['team/*', 'teamx/app', false],
      ['team/*', 'other/team/app', false],
    ];
    for (const [p, repo, expected] of cases) assert.equal(patternMatches(pattern(p), repo), expected, `${p} ~ ${repo}`);
  });

  it('covers: a scope covers itself and narrower scopes only', () => {
    const cases: [string, string, boolean][] = [
      ['*', '*', true],
      ['*', 'team/*', true],
      ['team/*', 'team/*', true],
      ['team/*', 'team/app', true],
      ['team/*', 'team/app/*', true],
      ['team/*', '*', false],
      ['team/*', 'team', false],
      ['team/*', 'teamx/*', false],
      ['team/app', 'team/app', true],
      ['team/app', 'team/app/*', false],
      ['team/app/*', 'team/*', false],
    ];
    for (const [outer, inner, expected] of cases) assert.equal(patternCovers(pattern(outer), pattern(inner)), expected, `${outer} ⊇ ${inner}`);
  });
});

describe('scope maps (spec 4)', () => {
  it('has the six system maps, read-only, on every repository', () => {
    const expected: Record<string, string[]> = {
      _repositories_admin: ['content/read', 'content/write', 'content/delete', 'metadata/read', 'metadata/write'],
      _repositories_pull: ['content/read'],
      _repositories_pull_metadata_read: ['content/read', 'metadata/read'],
      _repositories_push: ['content/read', 'content/write'],
      _repositories_push_metadata_write: ['content/read', 'content/write', 'metadata/read', 'metadata/write'],
      _repositories_push_sign: ['content/read', 'content/write', 'content/sign'],
    };
    assert.deepEqual(SYSTEM_SCOPE_MAPS.map((m) => m.name), Object.keys(expected));
    for (const map of SYSTEM_SCOPE_MAPS) {
      assert.equal(map.kind, 'SystemDefined');
      assert.equal(map.rules.length, 1);
      assert.equal(map.rules[0]?.pattern, '*');
      assert.deepEqual(new Set(map.rules[0]?.actions), new Set(expected[map.name]), map.name);
    }
    assert.equal(systemScopeMap('_repositories_push_sign')?.name, '_repositories_push_sign');
    assert.equal(systemScopeMap('_repositories_nope'), undefined);
  });

  it('maps each action to its permission; write and delete also delete referrers (spec 4 request table)', () => {
    for (const action of SCOPE_MAP_ACTIONS) assert.ok(SCOPE_MAP_ACTION_PERMISSIONS[action].includes(action), action);
    assert.deepEqual(SCOPE_MAP_ACTION_PERMISSIONS['content/write'], ['content/write', 'content/delete-referrers']);
    assert.deepEqual(SCOPE_MAP_ACTION_PERMISSIONS['content/read'], ['content/read']);
  });

  it('parses and formats the ARM form repositories/<pattern>/<action>', () => {
    const parsed = parseArmAction('repositories/samples/*/content/read');
    assert.deepEqual(parsed, { ok: true, pattern: 'samples/*', action: 'content/read' });
    assert.deepEqual(parseArmAction('repositories/team/app/content/sign'), { ok: true, pattern: 'team/app', action: 'content/sign' });
    assert.deepEqual(parseArmAction('repositories/*/metadata/write'), { ok: true, pattern: '*', action: 'metadata/write' });
    assert.equal(formatArmAction(pattern('samples/*'), 'content/write'), 'repositories/samples/*/content/write');
    for (const bad of ['repositories/content/read', 'repos/a/content/read', 'repositories/a/content/push', 'repositories/a*/content/read', 'repositories/a/content/delete-referrers']) {
      assert.equal(parseArmAction(bad).ok, false, bad);
    }
  });
});
