import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_PERMISSIONS, ADMIN_REGISTRY_PERMISSIONS, anonymousPermissions, grantActions, type GrantFacts, type Permission, type PrincipalKind,
} from '../../src/auth/permissions.ts';
import {
  effectivePermissions, permissionsAtScope, registryPermissions, scopeMapPermissions, type RoleAssignment,
} from '../../src/auth/authorizer.ts';
import { parseRepositoryPattern, type RepositoryPattern } from '../../src/auth/repository-pattern.ts';
import type { ScopeMap } from '../../src/auth/scope-maps.ts';
import { challengeScope, meetsByPermissions, meetsByToken, requiredAccess, type AccessQuery } from '../../src/auth/required-access.ts';
import { GunPolicy } from '../../src/trust/gun.ts';
import type { RepoName } from '../../src/oci/names.ts';

const GUNS = new GunPolicy(['reg.example.com', 'reg.example.com:5443']);

function facts(held: Iterable<Permission>, kind: PrincipalKind = 'identity', registryHeld: Iterable<Permission> = []): GrantFacts {
  const set = new Set(held);
  return { kind, heldOn: () => set, registryHeld: new Set(registryHeld), gunRepository: (n) => GUNS.parse(n)?.repo };
}

function grant(type: string, name: string, actions: string, f: GrantFacts): string[] {
  return grantActions({ type, name, actions: new Set(actions.split(',')) }, f);
}

function p(value: string): RepositoryPattern {
  const result = parseRepositoryPattern(value);
  assert.ok(result.ok, value);
  return result.pattern;
}

describe('grantActions: repositories (spec 4 mapping)', () => {
  it('grants each asked action whose permission is held, in token order', () => {
    const f = facts(['content/read', 'content/write', 'metadata/read']);
    assert.deepEqual(grant('repository', 'team/app', 'push,pull', f), ['pull', 'push']);
    assert.deepEqual(grant('repository', 'team/app', 'delete', f), []);
    assert.deepEqual(grant('repository', 'team/app', 'metadataRead,metadataWrite', f), ['metadataRead']);
  });

  it('expands * to every held action and never returns *', () => {
    const all = facts(ADMIN_PERMISSIONS);
    assert.deepEqual(grant('repository', 'team/app', '*', all), ['pull', 'push', 'delete', 'metadataRead', 'metadataWrite']);
    assert.deepEqual(grant('repository', 'team/app', '*', facts(['content/read'])), ['pull']);
    assert.deepEqual(grant('repository', 'team/app', '*', facts([])), []);
  });

  it('gives a referrers-only deleter deleteReferrers when it asks delete or *', () => {
    const push = facts(['content/read', 'content/write', 'content/delete-referrers']);
    assert.deepEqual(grant('repository', 'a', 'delete', push), ['deleteReferrers']);
    assert.deepEqual(grant('repository', 'a', '*', push), ['pull', 'push', 'deleteReferrers']);
    assert.deepEqual(grant('repository', 'a', 'delete', facts(['content/delete', 'content/delete-referrers'])), ['delete']);
  });

  it('ignores unknown actions, unknown types and names that are neither repositories nor our GUNs', () => {
    const all = facts(ADMIN_PERMISSIONS);
    assert.deepEqual(grant('repository', 'a', 'frobnicate', all), []);
    assert.deepEqual(grant('plugin', 'a', 'pull', all), []);
    assert.deepEqual(grant('repository', 'Team/App', 'pull', all), []);
    assert.deepEqual(grant('repository', 'other.example.com:5443/a', 'pull', all), []);
  });
});

describe('grantActions: GUNs', () => {
  it('resolves the GUN to its repository before looking up permissions', () => {
    const seen: RepoName[] = [];
    const f: GrantFacts = { ...facts([]), heldOn: (repo) => (seen.push(repo), new Set(['content/read'])) };
    assert.deepEqual(grant('repository', 'reg.example.com:5443/team/app', 'pull', f), ['pull']);
    assert.deepEqual(seen, ['team/app']);
  });

  it('treats a name that is one of our GUNs as a GUN even though it is also a valid repository name', () => {
    const f = facts(['content/read', 'content/write']);
    assert.deepEqual(grant('repository', 'reg.example.com/team/app', 'push,pull', f), ['pull']);
  });

  it('grants pull for content/read or content/sign, push for content/sign only, * as both', () => {
    assert.deepEqual(grant('repository', 'reg.example.com/a', 'pull', facts(['content/sign'])), ['pull']);
    assert.deepEqual(grant('repository', 'reg.example.com/a', 'push,pull', facts(['content/read', 'content/write'])), ['pull']);
    assert.deepEqual(grant('repository', 'reg.example.com/a', 'push,pull', facts(['content/sign'])), ['pull', 'push']);
    assert.deepEqual(grant('repository', 'reg.example.com/a', '*', facts(['content/sign'])), ['pull', 'push']);
    assert.deepEqual(grant('repository', 'reg.example.com/a', 'delete,metadataRead', facts(ADMIN_PERMISSIONS)), []);
  });

  it('never grants GUN push to the admin account, whatever it holds', () => {
    const admin = facts([...ADMIN_PERMISSIONS, 'content/sign'], 'admin');
    assert.deepEqual(grant('repository', 'reg.example.com/a', '*', admin), ['pull']);
    assert.deepEqual(grant('repository', 'reg.example.com/a', 'push', admin), []);
  });
});

describe('grantActions: registry:catalog:*', () => {
  it('needs registry-scope pull for identities, is always the admin\'s, never a scoped token\'s or anonymous', () => {
    assert.deepEqual(grant('registry', 'catalog', '*', facts([], 'identity', ['registry/catalog'])), ['*']);
    assert.deepEqual(grant('registry', 'catalog', '*', facts(ADMIN_PERMISSIONS, 'identity', [])), []);
    assert.deepEqual(grant('registry', 'catalog', '*', facts(ADMIN_PERMISSIONS, 'admin', ADMIN_REGISTRY_PERMISSIONS)), ['*']);
    assert.deepEqual(grant('registry', 'catalog', '*', facts(ADMIN_PERMISSIONS, 'scoped-token', ['registry/catalog'])), []);
    assert.deepEqual(grant('registry', 'catalog', '*', facts(['content/read'], 'anonymous', ['registry/catalog'])), []);
  });
  it('grants nothing for other registry resources or actions', () => {
    const f = facts([], 'identity', ['registry/catalog']);
    assert.deepEqual(grant('registry', 'catalog', 'pull', f), []);
    assert.deepEqual(grant('registry', 'other', '*', f), []);
  });
});

describe('effectivePermissions and friends (spec 3)', () => {
  const assignments: RoleAssignment[] = [
    { role: 'AcrPull', scope: { kind: 'registry' } },
    { role: 'AcrPush', scope: { kind: 'repository', pattern: p('team/*') } },
    { role: 'AcrImageSigner', scope: { kind: 'repository', pattern: p('team/app') } },
  ];

  it('unions every matching assignment', () => {
    assert.deepEqual(effectivePermissions(assignments, 'other'), new Set(['content/read', 'metadata/read']));
    assert.deepEqual(effectivePermissions(assignments, 'team/lib'),
      new Set(['content/read', 'metadata/read', 'content/write', 'content/delete-referrers', 'metadata/write']));
    assert.ok(effectivePermissions(assignments, 'team/app').has('content/sign'));
    assert.deepEqual(effectivePermissions([], 'team/app'), new Set());
  });

  it('counts only registry-scope assignments at registry level', () => {
    assert.deepEqual(registryPermissions(assignments), new Set(['content/read', 'metadata/read', 'registry/catalog']));
  });

  it('at a repository scope counts assignments covering the whole scope', () => {
    const owner: RoleAssignment[] = [{ role: 'Owner', scope: { kind: 'repository', pattern: p('team/*') } }];
    assert.ok(permissionsAtScope(owner, { kind: 'repository', pattern: p('team/app') }).has('access/write'));
    assert.ok(permissionsAtScope(owner, { kind: 'repository', pattern: p('team/*') }).has('access/write'));
    assert.ok(!permissionsAtScope(owner, { kind: 'repository', pattern: p('*') }).has('access/write'));
    assert.ok(!permissionsAtScope(owner, { kind: 'registry' }).has('access/write'));
    assert.ok(!permissionsAtScope(owner, { kind: 'repository', pattern: p('team') }).has('access/write'));
  });

  it('scope maps: union of matching rules, write implying referrer deletion', () => {
    const map: ScopeMap = {
      name: 'ci', kind: 'UserDefined',
      rules: [
        { pattern: p('team/*'), actions: ['content/read'] },
        { pattern: p('team/app'), actions: ['content/write', 'content/sign'] },
      ],
    };
    assert.deepEqual(scopeMapPermissions(map, 'team/app'), new Set(['content/read', 'content/write', 'content/delete-referrers', 'content/sign']));
    assert.deepEqual(scopeMapPermissions(map, 'team/lib'), new Set(['content/read']));
    assert.deepEqual(scopeMapPermissions(map, 'other'), new Set());
  });

  it('anonymous holds content/read only when anonymous pull is enabled; the admin never content/sign', () => {
    assert.deepEqual(anonymousPermissions(true), new Set(['content/read']));
    assert.deepEqual(anonymousPermissions(false), new Set());
    assert.ok(!ADMIN_PERMISSIONS.has('content/sign'));
  });
});

describe('requiredAccess (spec 4 "Required action per request")', () => {
  const q = (surface: AccessQuery['surface'], method: AccessQuery['method'], route: AccessQuery['route'], extra: Partial<AccessQuery> = {}) =>
    requiredAccess({ surface, method, route, ...extra });
  const summary = (query: AccessQuery) => {
    const access = requiredAccess(query);
    assert.ok(access, JSON.stringify(query));
    return { auth: access.authentication, needs: access.needs.map((n) => `${n.on}:${n.permissions.join('|')}=>${n.actions.join('|')}${n.optional ? '?' : ''}`), scope: challengeScope(access, 'N') };
  };

  it('maps every registry, trust and metadata route to permissions, token actions and a challenge', () => {
    const rows: [AccessQuery, ReturnType<typeof summary>][] = [
      [{ surface: 'registry', method: 'GET', route: 'base' }, { auth: 'credential', needs: [], scope: undefined }],
      [{ surface: 'registry', method: 'GET', route: 'catalog' }, { auth: 'authorized', needs: ['catalog:registry/catalog=>*'], scope: 'registry:catalog:*' }],
      [{ surface: 'registry', method: 'HEAD', route: 'manifest' }, { auth: 'authorized', needs: ['name:content/read=>pull'], scope: 'repository:N:pull' }],
      [{ surface: 'registry', method: 'GET', route: 'blob' }, { auth: 'authorized', needs: ['name:content/read=>pull'], scope: 'repository:N:pull' }],
      [{ surface: 'registry', method: 'GET', route: 'tags' }, { auth: 'authorized', needs: ['name:content/read=>pull'], scope: 'repository:N:pull' }],
      [{ surface: 'registry', method: 'GET', route: 'referrers' }, { auth: 'authorized', needs: ['name:content/read=>pull'], scope: 'repository:N:pull' }],
      [{ surface: 'registry', method: 'POST', route: 'upload-start' }, { auth: 'authorized', needs: ['name:content/write=>push', 'mount-source:content/read=>pull?'], scope: 'repository:N:pull,push' }],
      [{ surface: 'registry', method: 'PATCH', route: 'upload' }, { auth: 'authorized', needs: ['name:content/write=>push'], scope: 'repository:N:pull,push' }],
      [{ surface: 'registry', method: 'DELETE', route: 'upload' }, { auth: 'authorized', needs: ['name:content/write=>push'], scope: 'repository:N:pull,push' }],
      [{ surface: 'registry', method: 'PUT', route: 'manifest', reference: 'tag' }, { auth: 'authorized', needs: ['name:content/write=>push'], scope: 'repository:N:pull,push' }],
      [{ surface: 'registry', method: 'DELETE', route: 'manifest', reference: 'digest', hasSubject: true }, { auth: 'authorized', needs: ['name:content/delete|content/delete-referrers=>delete|deleteReferrers'], scope: 'repository:N:delete' }],
      [{ surface: 'registry', method: 'DELETE', route: 'manifest', reference: 'digest', hasSubject: false }, { auth: 'authorized', needs: ['name:content/delete=>delete'], scope: 'repository:N:delete' }],
      [{ surface: 'registry', method: 'DELETE', route: 'manifest', reference: 'digest' }, { auth: 'authorized', needs: ['name:content/delete=>delete'], scope: 'repository:N:delete' }],
      [{ surface: 'registry', method: 'DELETE', route: 'manifest', reference: 'tag', hasSubject: true }, { auth: 'authorized', needs: ['name:content/delete=>delete'], scope: 'repository:N:delete' }],
      [{ surface: 'registry', method: 'DELETE', route: 'blob' }, { auth: 'authorized', needs: ['name:content/delete=>delete'], scope: 'repository:N:delete' }],
      [{ surface: 'trust', method: 'GET', route: 'tuf-file' }, { auth: 'authorized', needs: ['name:content/read|content/sign=>pull'], scope: 'repository:N:pull' }],
      [{ surface: 'trust', method: 'GET', route: 'changefeed' }, { auth: 'authorized', needs: ['name:content/read|content/sign=>pull'], scope: 'repository:N:pull' }],
      [{ surface: 'trust', method: 'GET', route: 'key' }, { auth: 'authorized', needs: ['name:content/sign=>push'], scope: 'repository:N:push,pull' }],
      [{ surface: 'trust', method: 'POST', route: 'tuf' }, { auth: 'authorized', needs: ['name:content/sign=>push'], scope: 'repository:N:push,pull' }],
      [{ surface: 'trust', method: 'POST', route: 'key' }, { auth: 'authorized', needs: ['name:content/sign=>push'], scope: 'repository:N:*' }],
      [{ surface: 'trust', method: 'DELETE', route: 'tuf' }, { auth: 'authorized', needs: ['name:content/sign=>push'], scope: 'repository:N:*' }],
      [{ surface: 'trust', method: 'GET', route: 'registry-changefeed' }, { auth: 'authorized', needs: ['catalog:registry/read=>*'], scope: 'registry:catalog:*' }],
      [{ surface: 'trust', method: 'GET', route: 'health' }, { auth: 'none', needs: [], scope: undefined }],
      [{ surface: 'metadata', method: 'GET', route: 'catalog' }, { auth: 'authorized', needs: ['catalog:registry/catalog=>*'], scope: 'registry:catalog:*' }],
      [{ surface: 'metadata', method: 'GET', route: 'manifests' }, { auth: 'authorized', needs: ['name:metadata/read=>metadataRead'], scope: 'repository:N:metadataRead' }],
      [{ surface: 'metadata', method: 'PATCH', route: 'repository' }, { auth: 'authorized', needs: ['name:metadata/write=>metadataWrite'], scope: 'repository:N:metadataWrite' }],
      [{ surface: 'metadata', method: 'DELETE', route: 'tag' }, { auth: 'authorized', needs: ['name:metadata/write=>metadataWrite'], scope: 'repository:N:metadataWrite' }],
      [{ surface: 'metadata', method: 'DELETE', route: 'repository' }, { auth: 'authorized', needs: ['name:content/delete=>delete'], scope: 'repository:N:delete' }],
    ];
    for (const [query, expected] of rows) assert.deepEqual(summary(query), expected, JSON.stringify(query));
  });

  it('has no entry for methods a route does not serve', () => {
    assert.equal(q('registry', 'POST', 'manifest'), undefined);
    assert.equal(q('trust', 'PUT', 'tuf'), undefined);
    assert.equal(q('trust', 'DELETE', 'tuf-file'), undefined);
    assert.equal(q('metadata', 'DELETE', 'manifests'), undefined);
  });

  it('checks needs against held permissions or token actions', () => {
    const access = q('trust', 'GET', 'tuf-file');
    const needed = access?.needs[0];
    assert.ok(needed);
    assert.ok(meetsByPermissions(needed, new Set(['content/sign'])));
    assert.ok(!meetsByPermissions(needed, new Set(['content/write'])));
    assert.ok(meetsByToken(needed, new Set(['pull'])));
    assert.ok(!meetsByToken(needed, new Set(['push'])));
  });
});
