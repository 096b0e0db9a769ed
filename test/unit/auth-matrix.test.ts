import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN_PERMISSIONS, ADMIN_REGISTRY_PERMISSIONS, anonymousPermissions, grantActions, type GrantFacts, type Permission, type PrincipalKind,
} from '../../src/auth/permissions.ts';
import { effectivePermissions, permissionsAtScope, registryPermissions, scopeMapPermissions, type AssignmentScope, type RoleAssignment } from '../../src/auth/authorizer.ts';
import { parseRepositoryPattern, type RepositoryPattern } from '../../src/auth/repository-pattern.ts';
import { ROLE_NAMES, type RoleName } from '../../src/auth/roles.ts';
import { SYSTEM_SCOPE_MAPS, type ScopeMap } from '../../src/auth/scope-maps.ts';
import { meetsByPermissions, meetsByToken, requiredAccess, type AccessQuery } from '../../src/auth/required-access.ts';
import { parseScope } from '../../src/auth/scopes.ts';
import { GunPolicy } from '../../src/trust/gun.ts';

/**
 * Every kind of principal × every operation, at registry scope and at repository scope (`prefix/*`),
 * per the issue table refined by shared/specs/access-and-policy.md 3 (AcrImageSigner reads trust data
 * but pulls no content; AcrPush deletes referrers only and writes metadata [W]; Owner alone manages access).
 * Data-plane operations go the whole way: the scope the client asks → the token grant → the route's
 * required token action, and independently route → required permission (Basic credentials); both must agree.
 */
const LOGIN = 'reg.example.com:5443';
const GUNS = new GunPolicy([LOGIN]);
const PREFIX = pattern('prefix/*');
const IN = 'prefix/app';
const OUTSIDE = ['other/app', 'prefix'];

function pattern(value: string): RepositoryPattern {
  const result = parseRepositoryPattern(value);
  assert.ok(result.ok);
  return result.pattern;
}

/** A data-plane operation: what the client asks for, on which name, and the route it then calls. */
interface DataOp { scope: (repo: string) => string; query: AccessQuery }
const gun = (repo: string) => `${LOGIN}/${repo}`;
const DATA_OPS = {
  pull: { scope: (r) => `repository:${r}:pull`, query: { surface: 'registry', method: 'GET', route: 'manifest', reference: 'tag' } },
  push: { scope: (r) => `repository:${r}:push,pull`, query: { surface: 'registry', method: 'PUT', route: 'manifest', reference: 'tag' } },
  delete: { scope: (r) => `repository:${r}:delete`, query: { surface: 'registry', method: 'DELETE', route: 'manifest', reference: 'digest' } },
  deleteReferrer: { scope: (r) => `repository:${r}:*`, query: { surface: 'registry', method: 'DELETE', route: 'manifest', reference: 'digest', hasSubject: true } },
  readTrust: { scope: (r) => `repository:${gun(r)}:pull`, query: { surface: 'trust', method: 'GET', route: 'tuf-file' } },
  sign: { scope: (r) => `repository:${gun(r)}:push,pull`, query: { surface: 'trust', method: 'POST', route: 'tuf' } },
  rotateKey: { scope: (r) => `repository:${gun(r)}:*`, query: { surface: 'trust', method: 'POST', route: 'key' } },
  lock: { scope: (r) => `repository:${r}:metadataWrite`, query: { surface: 'metadata', method: 'PATCH', route: 'tag' } },
  catalog: { scope: () => 'registry:catalog:*', query: { surface: 'registry', method: 'GET', route: 'catalog' } },
} satisfies Record<string, DataOp>;
type DataOpName = keyof typeof DATA_OPS;
const MANAGEMENT_OPS = ['changeSetting', 'viewSetting', 'manageAccess', 'viewAccess', 'importOrResetTrust'] as const;
type ManagementOpName = (typeof MANAGEMENT_OPS)[number];
const OPS = [...(Object.keys(DATA_OPS) as DataOpName[]), ...MANAGEMENT_OPS];

/** A caller as the token service and the management API see it. */
interface Caller {
  kind: PrincipalKind;
  heldOn(repo: string): ReadonlySet<Permission>;
  registryHeld: ReadonlySet<Permission>;
  /** Management permissions at the caller's own scope (none for admin, scoped tokens, anonymous: data plane only). */
  atScope: ReadonlySet<Permission>;
}

function identity(role: RoleName, scope: AssignmentScope): Caller {
  const assignments: RoleAssignment[] = [{ role, scope }];
  return {
    kind: 'identity',
    heldOn: (repo) => effectivePermissions(assignments, repo),
    registryHeld: registryPermissions(assignments),
    atScope: permissionsAtScope(assignments, scope),
  };
}
function scopedToken(map: ScopeMap): Caller {
  return { kind: 'scoped-token', heldOn: (repo) => scopeMapPermissions(map, repo), registryHeld: new Set(), atScope: new Set() };
}
const ADMIN: Caller = { kind: 'admin', heldOn: () => ADMIN_PERMISSIONS, registryHeld: ADMIN_REGISTRY_PERMISSIONS, atScope: new Set() };
const anonymous = (enabled: boolean): Caller =>
  ({ kind: 'anonymous', heldOn: () => anonymousPermissions(enabled), registryHeld: new Set(), atScope: new Set() });

function allowedByToken(caller: Caller, op: DataOp, repo: string): boolean {
  const parsed = parseScope(op.scope(repo));
  assert.ok(parsed.ok);
  const facts: GrantFacts = {
    kind: caller.kind, heldOn: (r) => caller.heldOn(r), registryHeld: caller.registryHeld, gunRepository: (n) => GUNS.parse(n)?.repo,
  };
  const granted = new Set<string>(grantActions(parsed.value, facts));
  const access = requiredAccess(op.query);
  assert.ok(access);
  return access.needs.filter((n) => !n.optional).every((n) => meetsByToken(n, granted));
}

function allowedByPermissions(caller: Caller, op: DataOp, repo: string): boolean {
  const access = requiredAccess(op.query);
  assert.ok(access);
  return access.needs.filter((n) => !n.optional).every((n) => meetsByPermissions(n, n.on === 'catalog' ? caller.registryHeld : caller.heldOn(repo)));
}

const MANAGEMENT: Record<ManagementOpName, (c: Caller) => boolean> = {
  changeSetting: (c) => c.kind === 'identity' && c.registryHeld.has('registry/write'),
  viewSetting: (c) => c.kind === 'identity' && c.registryHeld.has('registry/read'),
  manageAccess: (c) => c.kind === 'identity' && c.atScope.has('access/write'),
  viewAccess: (c) => c.kind === 'identity' && c.atScope.has('access/read'),
  importOrResetTrust: (c) => {
    const both = c.atScope.has('repository/import') && c.atScope.has('trust/reset');
    assert.equal(both, c.atScope.has('repository/import') || c.atScope.has('trust/reset'), 'import and trust reset go together');
    return c.kind === 'identity' && both;
  },
};

/** The operations allowed on `repo`, each checked both ways for data-plane operations. */
function allowed(caller: Caller, repo: string): Set<string> {
  const result = new Set<string>();
  for (const [name, op] of Object.entries(DATA_OPS) as [DataOpName, DataOp][]) {
    const byToken = allowedByToken(caller, op, repo);
    assert.equal(allowedByPermissions(caller, op, repo), byToken, `${name}: Basic and Bearer disagree`);
    if (byToken) result.add(name);
  }
  for (const name of MANAGEMENT_OPS) if (MANAGEMENT[name](caller)) result.add(name);
  return result;
}

const set = (ops: string): Set<string> => new Set(ops.split(' ').filter(Boolean));
const ALL_DATA = 'pull push delete deleteReferrer readTrust sign rotateKey lock';

// Registry scope: the caller's rights on any repository plus the registry-level ones.
const AT_REGISTRY: Record<RoleName, string> = {
  Owner: `${ALL_DATA} catalog changeSetting viewSetting manageAccess viewAccess importOrResetTrust`,
  Contributor: `${ALL_DATA} catalog changeSetting viewSetting viewAccess importOrResetTrust`,
  Reader: 'pull readTrust catalog viewSetting viewAccess',
  AcrPush: 'pull push deleteReferrer readTrust lock catalog',
  AcrPull: 'pull readTrust catalog',
  AcrDelete: 'delete deleteReferrer',
  AcrImageSigner: 'readTrust sign rotateKey',
};
// Repository scope `prefix/*`, on `prefix/app`: data plane as above, no catalog and no registry settings;
// Owner manages (and views) assignments at its scope; Owner and Contributor import and reset trust there.
const AT_REPOSITORY: Record<RoleName, string> = {
  Owner: `${ALL_DATA} manageAccess viewAccess importOrResetTrust`,
  Contributor: `${ALL_DATA} importOrResetTrust`,
  Reader: 'pull readTrust',
  AcrPush: 'pull push deleteReferrer readTrust lock',
  AcrPull: 'pull readTrust',
  AcrDelete: 'delete deleteReferrer',
  AcrImageSigner: 'readTrust sign rotateKey',
};
const SCOPED_TOKENS: Record<string, string> = {
  _repositories_admin: 'pull push delete deleteReferrer readTrust lock',
  _repositories_pull: 'pull readTrust',
  _repositories_pull_metadata_read: 'pull readTrust',
  _repositories_push: 'pull push deleteReferrer readTrust',
  _repositories_push_metadata_write: 'pull push deleteReferrer readTrust lock',
  _repositories_push_sign: 'pull push deleteReferrer readTrust sign rotateKey',
};

describe('access matrix: roles at registry scope', () => {
  for (const role of ROLE_NAMES) {
    it(`${role}: ${AT_REGISTRY[role]}`, () => {
      const caller = identity(role, { kind: 'registry' });
      for (const repo of [IN, ...OUTSIDE]) assert.deepEqual(allowed(caller, repo), set(AT_REGISTRY[role]), repo);
    });
  }
});

describe('access matrix: roles at repository scope prefix/*', () => {
  for (const role of ROLE_NAMES) {
    it(`${role}: ${AT_REPOSITORY[role]} on ${IN}, data plane nothing elsewhere`, () => {
      const caller = identity(role, { kind: 'repository', pattern: PREFIX });
      assert.deepEqual(allowed(caller, IN), set(AT_REPOSITORY[role]));
      const managementOnly = new Set([...set(AT_REPOSITORY[role])].filter((op) => (MANAGEMENT_OPS as readonly string[]).includes(op)));
      for (const repo of OUTSIDE) assert.deepEqual(allowed(caller, repo), managementOnly, repo);
    });
  }
});

describe('access matrix: the admin account', () => {
  it('pushes, pulls, deletes, locks, lists the catalog and reads trust, but never signs nor manages', () => {
    for (const repo of [IN, ...OUTSIDE]) assert.deepEqual(allowed(ADMIN, repo), set('pull push delete deleteReferrer readTrust lock catalog'), repo);
  });
});

describe('access matrix: scoped tokens', () => {
  for (const map of SYSTEM_SCOPE_MAPS) {
    const expected = SCOPED_TOKENS[map.name];
    assert.ok(expected !== undefined, map.name);
    it(`system map ${map.name} (registry-wide): ${expected}; never catalog or management`, () => {
      for (const repo of [IN, ...OUTSIDE]) assert.deepEqual(allowed(scopedToken(map), repo), set(expected), repo);
    });
    it(`the same actions on prefix/* only: ${expected} on ${IN}, nothing elsewhere`, () => {
      const actions = map.rules.flatMap((r) => r.actions);
      const narrowed: ScopeMap = { name: `${map.name}-narrowed`, kind: 'UserDefined', rules: [{ pattern: PREFIX, actions }] };
      assert.deepEqual(allowed(scopedToken(narrowed), IN), set(expected));
      for (const repo of OUTSIDE) assert.deepEqual(allowed(scopedToken(narrowed), repo), set(''), repo);
    });
  }
});

describe('access matrix: anonymous', () => {
  it('with anonymous pull enabled: pull and read trust everywhere, nothing else', () => {
    for (const repo of [IN, ...OUTSIDE]) assert.deepEqual(allowed(anonymous(true), repo), set('pull readTrust'), repo);
  });
  it('with anonymous pull disabled: nothing', () => {
    for (const repo of [IN, ...OUTSIDE]) assert.deepEqual(allowed(anonymous(false), repo), set(''), repo);
  });
});

describe('access matrix: the issue table', () => {
  // | role | pull + read trust | push | delete | sign | registry settings, import, locks | access management |
  // with the spec's refinements noted where they differ.
  const ISSUE: Record<RoleName, [pullAndTrust: boolean, push: boolean, del: boolean, sign: boolean, settings: 'yes' | 'view' | 'no', access: 'yes' | 'view' | 'no']> = {
    Owner: [true, true, true, true, 'yes', 'yes'],
    Contributor: [true, true, true, true, 'yes', 'no'],
    Reader: [true, false, false, false, 'view', 'view'],
    AcrPush: [true, true, false, false, 'no', 'no'],
    AcrPull: [true, false, false, false, 'no', 'no'],
    AcrDelete: [false, false, true, false, 'no', 'no'],
    AcrImageSigner: [false, false, false, true, 'no', 'no'],
  };
  for (const role of ROLE_NAMES) {
    it(`${role} at registry scope agrees with the issue`, () => {
      const [pullAndTrust, push, del, sign, settings, access] = ISSUE[role];
      const ops = allowed(identity(role, { kind: 'registry' }), IN);
      assert.equal(ops.has('pull'), pullAndTrust);
      // Spec 3: AcrImageSigner reads trust data without pulling content.
      assert.equal(ops.has('readTrust'), pullAndTrust || role === 'AcrImageSigner');
      assert.equal(ops.has('push'), push);
      assert.equal(ops.has('delete'), del);
      assert.equal(ops.has('sign'), sign);
      assert.equal(ops.has('changeSetting'), settings === 'yes');
      assert.equal(ops.has('importOrResetTrust'), settings === 'yes');
      assert.equal(ops.has('viewSetting'), settings !== 'no');
      // Spec 3 [W]: AcrPush also writes metadata (locks); the issue table says no.
      assert.equal(ops.has('lock'), settings === 'yes' || role === 'AcrPush');
      assert.equal(ops.has('manageAccess'), access === 'yes');
      // Spec 3: Contributor views role assignments; the issue table says no.
      assert.equal(ops.has('viewAccess'), access !== 'no' || role === 'Contributor');
    });
  }

  it('covers every operation somewhere', () => {
    const seen = new Set([...Object.values(AT_REGISTRY), ...Object.values(SCOPED_TOKENS)].flatMap((s) => [...set(s)]));
    assert.deepEqual(new Set(OPS), seen);
  });
});
