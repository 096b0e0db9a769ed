import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { SYSTEM_SCOPE_MAPS } from '../../src/auth/scope-maps.ts';
import { NULL_GUID } from '../../src/auth/secrets.ts';
import { isWharfError } from '../../src/errors/wharf-error.ts';
import type {
  MetadataStore,
  NewRoleAssignment,
  NewScopedToken,
  NewServicePrincipal,
  NewUser,
  PasswordCredentialRecord,
  SigningKeyRecord,
} from '../../src/storage/metadata-store.ts';
import { forEachStore, forTwoPostgresNodes } from '../helpers/metadata-drivers.ts';

const REGISTRY_ID = '/subscriptions/inst/resourceGroups/default/providers/Wharf.ContainerRegistry/registries/myreg';
const REPO_SCOPE = `${REGISTRY_ID}/repositories/team/*`;
const ACR_PULL = '7f951dda-4ed3-4680-a7ca-43fe172d538d';
const ACR_PUSH = '8311e382-0749-4cb8-b61a-304f252e45ec';
const SIGNER = '6cef56e8-d556-48e5-a04f-b8e64114680f';
const SYSTEM_MAPS = [
  '_repositories_admin',
  '_repositories_pull',
  '_repositories_pull_metadata_read',
  '_repositories_push',
  '_repositories_push_metadata_write',
  '_repositories_push_sign',
];
const YEAR = 365 * 24 * 3600 * 1000;

function isCode(code: string) {
  return (err: unknown) => isWharfError(err) && err.code === code;
}

function user(name: string, extra: Partial<NewUser> = {}): NewUser {
  return { objectId: randomUUID(), userPrincipalName: name, displayName: `User ${name}`, passwordHash: `$scrypt$hash-of-${name}`, isEnabled: true, ...extra };
}

function credential(extra: Partial<PasswordCredentialRecord> = {}): PasswordCredentialRecord {
  const startsAt = 1_800_000_000_000;
  return { keyId: randomUUID(), displayName: 'rbac', hash: `$scrypt$${randomBytes(4).toString('hex')}`, hint: 'abc', startsAt, endsAt: startsAt + YEAR, ...extra };
}

function sp(name: string, extra: Partial<NewServicePrincipal> = {}): NewServicePrincipal {
  const appId = randomUUID();
  return { appId, objectId: randomUUID(), displayName: name, servicePrincipalNames: [appId, `http://${name}`], isEnabled: true, passwordCredentials: [], ...extra };
}

function token(name: string, extra: Partial<NewScopedToken> = {}): NewScopedToken {
  return { name, objectId: randomUUID(), scopeMapName: '_repositories_pull', status: 'enabled', ...extra };
}

function assignment(principalId: string, extra: Partial<NewRoleAssignment> = {}): NewRoleAssignment {
  return { id: randomUUID(), principalId, principalType: 'User', roleDefinitionId: ACR_PULL, roleName: 'AcrPull', scope: REGISTRY_ID, ...extra };
}

function signingKey(kid = randomBytes(8).toString('hex')): SigningKeyRecord {
  return {
    kid,
    alg: 'ES256',
    publicKey: `-----BEGIN PUBLIC KEY-----\n${kid}\n-----END PUBLIC KEY-----\n`,
    sealedPrivateKey: Buffer.concat([Buffer.of(1), randomBytes(40)]),
    createdAt: 0,
    isPrimary: false,
    isRetired: false,
  };
}

const sealed = () => ({ sealedPassword: Buffer.concat([Buffer.of(1), randomBytes(30)]), sealedPassword2: Buffer.concat([Buffer.of(1), randomBytes(30)]) });

/** Waits for the clock to move on, so that createdAt orders rows written before and after. */
async function tick(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await yieldToLoop();
}

/** Everything the access stores hold: what a refused write must leave unchanged. */
async function stateOf(store: MetadataStore, names: readonly string[] = []): Promise<unknown> {
  const a = store.access;
  const users = await a.users.list();
  const sps = await a.servicePrincipals.list();
  const tokens = await a.tokens.list();
  const principals = [...users.map((u) => u.objectId), ...sps.map((s) => s.objectId), ...tokens.map((t) => t.objectId)];
  return {
    users,
    sps,
    tokens,
    admin: await a.admin.get(),
    maps: await a.scopeMaps.list(),
    assignments: await a.roleAssignments.list(),
    keys: await a.signingKeys.list(),
    logins: await Promise.all(names.map((n) => a.logins.resolve(n))),
    versions: await Promise.all(principals.map((p) => a.credentialVersions.current(p))),
  };
}

forEachStore('AccessRecords', (store) => {

  it('starts with the system scope maps, the null GUID reserved and nothing else', async () => {
    const a = store.access;
    assert.deepEqual(await a.users.list(), []);
    assert.deepEqual(await a.servicePrincipals.list(), []);
    assert.deepEqual(await a.tokens.list(), []);
    assert.deepEqual(await a.roleAssignments.list(), []);
    assert.deepEqual(await a.signingKeys.list(), []);
    assert.equal(await a.admin.get(), undefined);
    assert.deepEqual(await a.logins.resolve(NULL_GUID), { kind: 'reserved', id: NULL_GUID });
    assert.equal(await a.logins.resolve('nobody'), undefined);
    assert.equal(await a.credentialVersions.current(randomUUID()), 0);
    const maps = await a.scopeMaps.list();
    assert.deepEqual(maps.map((m) => m.name), SYSTEM_MAPS);
    assert.ok(maps.every((m) => m.type === 'SystemDefined' && m.rules.length === 1 && m.rules[0]?.pattern === '*'));
    // The migration's copy agrees with the access model's definitions.
    const model = SYSTEM_SCOPE_MAPS.map((m) => ({
      name: m.name,
      description: m.description ?? '',
      rules: m.rules.map((r) => ({ pattern: String(r.pattern), actions: [...r.actions] })),
    }));
    assert.deepEqual(
      maps.map((m) => ({ name: m.name, description: m.description, rules: m.rules })),
      [...model].sort((x, y) => (x.name < y.name ? -1 : 1)),
    );
    const actions = Object.fromEntries(maps.map((m) => [m.name, [...(m.rules[0]?.actions ?? [])].sort()]));
    assert.deepEqual(actions, {
      _repositories_admin: ['content/delete', 'content/read', 'content/write', 'metadata/read', 'metadata/write'],
      _repositories_pull: ['content/read'],
      _repositories_pull_metadata_read: ['content/read', 'metadata/read'],
      _repositories_push: ['content/read', 'content/write'],
      _repositories_push_metadata_write: ['content/read', 'content/write', 'metadata/read', 'metadata/write'],
      _repositories_push_sign: ['content/read', 'content/sign', 'content/write'],
    });
  });

  describe('users', () => {
    it('stores a user and finds it by objectId and, case-insensitively, by name', async () => {
      const before = Date.now();
      const input = user('Alice@example.com');
      const made = await store.access.users.create(input);
      assert.deepEqual({ ...made, createdAt: 0 }, { ...input, createdAt: 0 });
      assert.ok(made.createdAt >= before && made.createdAt <= Date.now());
      assert.deepEqual(await store.access.users.get(input.objectId), made);
      assert.deepEqual(await store.access.users.byName('alice@EXAMPLE.com'), made);
      assert.deepEqual(await store.access.logins.resolve('ALICE@example.com'), { kind: 'user', id: input.objectId });
      assert.equal(await store.access.users.get(randomUUID()), undefined);
      assert.equal(await store.access.users.byName('bob'), undefined);
    });

    it('lists users by userPrincipalName', async () => {
      for (const name of ['carol', 'alice', 'bob']) await store.access.users.create(user(name));
      assert.deepEqual((await store.access.users.list()).map((u) => u.userPrincipalName), ['alice', 'bob', 'carol']);
    });

    it('refuses malformed names with INVALID_REQUEST and a taken objectId with CONFLICT, writing nothing', async () => {
      const first = await store.access.users.create(user('alice'));
      const state = await stateOf(store, ['alice', 'a:b']);
      for (const name of ['', 'a:b', 'tab\there', ' padded', 'x'.repeat(257)]) {
        await assert.rejects(store.access.users.create(user(name)), isCode('INVALID_REQUEST'), JSON.stringify(name));
      }
      await assert.rejects(store.access.users.create(user('other', { objectId: first.objectId })), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store, ['alice', 'a:b']), state);
      assert.equal(await store.access.logins.resolve('other'), undefined);
    });

    it('updates fields; a new password or disabling bumps the credential version, the rest does not', async () => {
      const { objectId } = await store.access.users.create(user('alice'));
      const versions = store.access.credentialVersions;
      assert.equal(await versions.current(objectId), 0);
      const renamed = await store.access.users.update(objectId, { displayName: 'Alice A.' });
      assert.equal(renamed?.displayName, 'Alice A.');
      assert.equal(await versions.current(objectId), 0);
      assert.equal((await store.access.users.update(objectId, { passwordHash: '$scrypt$new' }))?.passwordHash, '$scrypt$new');
      assert.equal(await versions.current(objectId), 1);
      assert.equal((await store.access.users.update(objectId, { isEnabled: false }))?.isEnabled, false);
      assert.equal(await versions.current(objectId), 2);
      assert.equal((await store.access.users.update(objectId, { isEnabled: true }))?.isEnabled, true);
      assert.equal(await versions.current(objectId), 2);
      assert.deepEqual(await store.access.users.get(objectId), { ...renamed, passwordHash: '$scrypt$new', isEnabled: true });
      assert.equal(await store.access.users.update(randomUUID(), { isEnabled: false }), undefined);
    });

    it('deletes a user with its role assignments and login name, bumping its version; the name is free again', async () => {
      const alice = await store.access.users.create(user('alice'));
      const bob = await store.access.users.create(user('bob'));
      await store.access.roleAssignments.create(assignment(alice.objectId));
      const kept = await store.access.roleAssignments.create(assignment(bob.objectId));
      assert.equal(await store.access.users.delete(alice.objectId), true);
      assert.equal(await store.access.users.delete(alice.objectId), false);
      assert.equal(await store.access.users.get(alice.objectId), undefined);
      assert.equal(await store.access.logins.resolve('alice'), undefined);
      assert.deepEqual(await store.access.roleAssignments.list(), [kept]);
      assert.equal(await store.access.credentialVersions.current(alice.objectId), 1);
      const again = await store.access.users.create(user('ALICE'));
      assert.deepEqual(await store.access.logins.resolve('alice'), { kind: 'user', id: again.objectId });
    });
  });

  describe('login name collisions (username resolution order, 1.2)', () => {
    it('refuses a name any other kind holds, case-insensitively, with CONFLICT naming that kind', async () => {
      const a = store.access;
      const admin = await a.admin.ensure('MyReg', async () => sealed());
      const spRecord = await a.servicePrincipals.create(sp('ci'));
      await a.tokens.create(token('ci-pull'));
      await a.users.create(user('alice.smith'));
      const names = ['myreg', spRecord.appId, 'ci-pull', 'alice.smith', NULL_GUID];
      const state = await stateOf(store, names);
      const cases: [Promise<unknown>, string][] = [
        [a.users.create(user('MYREG')), 'admin'],
        [a.tokens.create(token('myreg')), 'admin'],
        [a.users.create(user(spRecord.appId.toUpperCase())), 'servicePrincipal'],
        [a.tokens.create(token(spRecord.appId)), 'servicePrincipal'],
        [a.users.create(user('CI-Pull')), 'token'],
        [a.servicePrincipals.create(sp('x', { appId: 'ci-pull' })), 'token'],
        [a.servicePrincipals.create(sp('y', { appId: 'ALICE.smith' })), 'user'],
        [a.users.create(user(NULL_GUID)), 'reserved'],
        [a.tokens.create(token(NULL_GUID)), 'reserved'],
        [a.servicePrincipals.create(sp('z', { appId: NULL_GUID })), 'reserved'],
      ];
      const results = await Promise.allSettled(cases.map(([p]) => p));
      results.forEach((r, i) => {
        const kind = cases[i]?.[1];
        assert.equal(r.status, 'rejected', `case ${i}`);
        const reason = (r as PromiseRejectedResult).reason as unknown;
        assert.ok(isCode('CONFLICT')(reason), String(reason));
        assert.equal((reason as { detail: { kind: string } }).detail.kind, kind, `case ${i}`);
      });
      assert.deepEqual(await stateOf(store, names), state);
      assert.equal(admin.username, 'MyReg');
    });

    it('refuses the admin account when its name is taken by another kind, writing nothing', async () => {
      await store.access.tokens.create(token('myreg'));
      const state = await stateOf(store, ['myreg']);
      let made = 0;
      await assert.rejects(
        store.access.admin.ensure('MyReg', async () => (made++, sealed())),
        (err) => isCode('CONFLICT')(err) && (err as { detail: { kind: string } }).detail.kind === 'token',
      );
      assert.ok(made <= 1);
      assert.deepEqual(await stateOf(store, ['myreg']), state);
    });
  });

  describe('service principals', () => {
    it('stores one with its credentials (validity and hint kept) and finds it by objectId and appId', async () => {
      const late = credential({ startsAt: 1_900_000_000_000, endsAt: 1_900_000_000_000 + YEAR, hint: 'xyz' });
      const early = credential();
      const input = sp('ci', { passwordCredentials: [late, early] });
      const made = await store.access.servicePrincipals.create(input);
      assert.deepEqual({ ...made, createdAt: 0 }, { ...input, passwordCredentials: [early, late], createdAt: 0 });
      assert.deepEqual(await store.access.servicePrincipals.get(input.objectId), made);
      assert.deepEqual(await store.access.servicePrincipals.byAppId(input.appId.toUpperCase()), made);
      assert.deepEqual(await store.access.logins.resolve(input.appId), { kind: 'servicePrincipal', id: input.objectId });
      assert.equal(await store.access.servicePrincipals.byAppId(input.objectId), undefined);
      assert.equal(await store.access.servicePrincipals.get(input.appId), undefined);
    });

    it('lists by displayName then appId', async () => {
      await store.access.servicePrincipals.create(sp('b'));
      await store.access.servicePrincipals.create(sp('a'));
      assert.deepEqual((await store.access.servicePrincipals.list()).map((s) => s.displayName), ['a', 'b']);
    });

    it('adds and removes secrets; removal and disabling bump the credential version', async () => {
      const made = await store.access.servicePrincipals.create(sp('ci', { passwordCredentials: [credential()] }));
      const extra = credential({ startsAt: 1_700_000_000_000 });
      assert.equal(await store.access.servicePrincipals.addPassword(made.objectId, extra), true);
      assert.equal(await store.access.servicePrincipals.addPassword(randomUUID(), credential()), false);
      const state = await stateOf(store);
      await assert.rejects(store.access.servicePrincipals.addPassword(made.objectId, { ...credential(), keyId: extra.keyId }), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store), state);
      const versions = store.access.credentialVersions;
      assert.deepEqual((await store.access.servicePrincipals.get(made.objectId))?.passwordCredentials, [extra, ...made.passwordCredentials]);
      assert.equal(await versions.current(made.objectId), 0);
      assert.equal(await store.access.servicePrincipals.removePassword(made.objectId, extra.keyId), true);
      assert.equal(await store.access.servicePrincipals.removePassword(made.objectId, extra.keyId), false);
      assert.equal(await versions.current(made.objectId), 1);
      assert.deepEqual((await store.access.servicePrincipals.get(made.objectId))?.passwordCredentials, made.passwordCredentials);
      assert.equal((await store.access.servicePrincipals.update(made.objectId, { displayName: 'renamed' }))?.displayName, 'renamed');
      assert.equal(await versions.current(made.objectId), 1);
      assert.equal((await store.access.servicePrincipals.update(made.objectId, { isEnabled: false }))?.isEnabled, false);
      assert.equal(await versions.current(made.objectId), 2);
      assert.equal(await store.access.servicePrincipals.update(randomUUID(), { isEnabled: false }), undefined);
    });

    it('refuses a taken objectId or a duplicate keyId, writing nothing', async () => {
      const made = await store.access.servicePrincipals.create(sp('ci', { passwordCredentials: [credential()] }));
      const state = await stateOf(store);
      await assert.rejects(store.access.servicePrincipals.create(sp('x', { objectId: made.objectId })), isCode('CONFLICT'));
      const dup = credential();
      const twice = sp('y', { passwordCredentials: [dup, { ...credential(), keyId: dup.keyId }] });
      await assert.rejects(store.access.servicePrincipals.create(twice), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store), state);
      assert.equal(await store.access.logins.resolve(twice.appId), undefined);
    });

    it('deletes one with its credentials, role assignments and login name, bumping its version', async () => {
      const made = await store.access.servicePrincipals.create(sp('ci', { passwordCredentials: [credential()] }));
      await store.access.roleAssignments.create(assignment(made.objectId, { principalType: 'ServicePrincipal' }));
      assert.equal(await store.access.servicePrincipals.delete(made.objectId), true);
      assert.equal(await store.access.servicePrincipals.delete(made.objectId), false);
      assert.deepEqual(await store.access.servicePrincipals.list(), []);
      assert.deepEqual(await store.access.roleAssignments.list(), []);
      assert.equal(await store.access.logins.resolve(made.appId), undefined);
      assert.equal(await store.access.credentialVersions.current(made.objectId), 1);
      // The key id is free again: the credentials went with the service principal.
      assert.ok(await store.access.servicePrincipals.create(sp('again', { passwordCredentials: made.passwordCredentials })));
    });
  });

  describe('admin account', () => {
    it('is created once, disabled, with the sealed passwords kept byte for byte', async () => {
      const values = sealed();
      let made = 0;
      const account = await store.access.admin.ensure('myreg', async () => (made++, values));
      assert.equal(account.username, 'myreg');
      assert.equal(account.isEnabled, false);
      assert.deepEqual(account.sealedPassword, values.sealedPassword);
      assert.deepEqual(account.sealedPassword2, values.sealedPassword2);
      assert.deepEqual(await store.access.admin.get(), account);
      assert.deepEqual(await store.access.logins.resolve('MYREG'), { kind: 'admin', id: 'myreg' });
      const again = await store.access.admin.ensure('other', async () => (made++, sealed()));
      assert.deepEqual(again, account);
      assert.equal(made, 1);
      assert.equal(await store.access.logins.resolve('other'), undefined);
    });

    it('converges on one account when created concurrently', async () => {
      const accounts = await Promise.all([1, 2, 3, 4].map(() => store.access.admin.ensure('myreg', async () => sealed())));
      for (const account of accounts) assert.deepEqual(account, accounts[0]);
    });

    it('enables and disables (disabling bumps the version); each password is replaced alone (bumping)', async () => {
      const admin = store.access.admin;
      assert.equal(await admin.setEnabled(true), undefined);
      assert.equal(await admin.setPassword('password', sealed().sealedPassword), undefined);
      const first = await admin.ensure('myreg', async () => sealed());
      const versions = store.access.credentialVersions;
      await tick();
      const enabled = await admin.setEnabled(true);
      assert.equal(enabled?.isEnabled, true);
      assert.ok((enabled?.updatedAt ?? 0) > first.updatedAt);
      assert.equal(await versions.current('myreg'), 0);
      assert.equal((await admin.setEnabled(false))?.isEnabled, false);
      assert.equal(await versions.current('myreg'), 1);
      const next = sealed().sealedPassword;
      const changed = await admin.setPassword('password2', next);
      assert.deepEqual(changed?.sealedPassword2, next);
      assert.deepEqual(changed?.sealedPassword, first.sealedPassword);
      assert.equal(await versions.current('myreg'), 2);
      const other = sealed().sealedPassword;
      assert.deepEqual((await admin.setPassword('password', other))?.sealedPassword, other);
      assert.equal(await versions.current('myreg'), 3);
      assert.equal((await admin.get())?.createdAt, first.createdAt);
    });
  });

  describe('scoped tokens', () => {
    it('stores a token with password creation times and optional expiry', async () => {
      const password1 = { hash: '$scrypt$one', createdAt: 1_800_000_000_000 };
      const password2 = { hash: '$scrypt$two', createdAt: 1_800_000_000_000, expiresAt: 1_800_000_000_000 + YEAR };
      const input = token('ci-pull', { scopeMapName: '_REPOSITORIES_PULL', password1, password2 });
      const made = await store.access.tokens.create(input);
      assert.deepEqual({ ...made, createdAt: 0 }, { ...input, scopeMapName: '_repositories_pull', createdAt: 0 });
      assert.equal('expiresAt' in (made.password1 ?? {}), false);
      assert.deepEqual(await store.access.tokens.get('CI-PULL'), made);
      assert.deepEqual(await store.access.logins.resolve('ci-pull'), { kind: 'token', id: input.objectId });
      const bare = await store.access.tokens.create(token('no_passwords'));
      assert.equal(bare.password1, undefined);
      assert.equal(bare.password2, undefined);
      assert.deepEqual((await store.access.tokens.list()).map((t) => t.name), ['ci-pull', 'no_passwords']);
      assert.equal(await store.access.tokens.get('nothing'), undefined);
    });

    it('refuses a malformed name, an unknown scope map or a taken objectId, writing nothing', async () => {
      const first = await store.access.tokens.create(token('first'));
      const state = await stateOf(store, ['abcd', 'other']);
      for (const name of ['abcd', 'x'.repeat(51), 'has.dot', 'has space', 'ümlaut', 'a/b/c/d']) {
        await assert.rejects(store.access.tokens.create(token(name)), isCode('INVALID_REQUEST'), name);
      }
      assert.ok(await store.access.tokens.create(token('x'.repeat(50))));
      await store.access.tokens.delete('x'.repeat(50));
      await assert.rejects(store.access.tokens.create(token('other', { scopeMapName: 'missing-map' })), isCode('NOT_FOUND_RESOURCE'));
      await assert.rejects(store.access.tokens.create(token('other', { objectId: first.objectId })), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store, ['abcd', 'other']), state);
    });

    it('changes scope map and status; disabling bumps the credential version', async () => {
      const made = await store.access.tokens.create(token('ci-push'));
      const versions = store.access.credentialVersions;
      const moved = await store.access.tokens.update('ci-push', { scopeMapName: '_repositories_push' });
      assert.equal(moved?.scopeMapName, '_repositories_push');
      assert.equal(await versions.current(made.objectId), 0);
      const state = await stateOf(store);
      await assert.rejects(store.access.tokens.update('ci-push', { scopeMapName: 'missing', status: 'disabled' }), isCode('NOT_FOUND_RESOURCE'));
      assert.deepEqual(await stateOf(store), state);
      assert.equal((await store.access.tokens.update('ci-push', { status: 'disabled' }))?.status, 'disabled');
      assert.equal(await versions.current(made.objectId), 1);
      assert.equal((await store.access.tokens.update('ci-push', { status: 'enabled' }))?.status, 'enabled');
      assert.equal(await versions.current(made.objectId), 1);
      assert.equal(await store.access.tokens.update('missing', { status: 'disabled' }), undefined);
    });

    it('sets and clears each password alone, bumping the credential version each time', async () => {
      const one = { hash: '$scrypt$one', createdAt: 1_800_000_000_000 };
      const made = await store.access.tokens.create(token('ci-pull', { password1: one }));
      const two = { hash: '$scrypt$two', createdAt: 1_800_000_100_000, expiresAt: 1_800_100_000_000 };
      const set = await store.access.tokens.setPassword('ci-pull', 'password2', two);
      assert.deepEqual([set?.password1, set?.password2], [one, two]);
      assert.equal(await store.access.credentialVersions.current(made.objectId), 1);
      const cleared = await store.access.tokens.setPassword('ci-pull', 'password1', undefined);
      assert.deepEqual([cleared?.password1, cleared?.password2], [undefined, two]);
      assert.equal(await store.access.credentialVersions.current(made.objectId), 2);
      assert.equal(await store.access.tokens.setPassword('missing', 'password1', one), undefined);
    });

    it('deletes a token and its login name, bumping its version', async () => {
      const made = await store.access.tokens.create(token('ci-pull'));
      assert.equal(await store.access.tokens.delete('CI-pull'), true);
      assert.equal(await store.access.tokens.delete('ci-pull'), false);
      assert.equal(await store.access.logins.resolve('ci-pull'), undefined);
      assert.equal(await store.access.credentialVersions.current(made.objectId), 1);
      assert.ok(await store.access.users.create(user('ci-pull')));
    });
  });

  describe('scope maps', () => {
    const rules = [
      { pattern: 'team/app', actions: ['content/read', 'content/write'] },
      { pattern: 'samples/*', actions: ['content/read'] },
    ];

    it('creates, reads, lists (byte order) and updates a user-defined map', async () => {
      const made = await store.access.scopeMaps.create({ name: 'ci-map', description: 'CI', rules });
      assert.equal(made.type, 'UserDefined');
      assert.deepEqual(made.rules, rules);
      assert.deepEqual(await store.access.scopeMaps.get('CI-MAP'), made);
      await store.access.scopeMaps.create({ name: 'Zeta-map', description: '', rules: [] });
      assert.deepEqual((await store.access.scopeMaps.list()).map((m) => m.name), ['Zeta-map', ...SYSTEM_MAPS, 'ci-map']);
      const newRules = [{ pattern: '*', actions: ['metadata/read'] }];
      const updated = await store.access.scopeMaps.update('ci-map', { rules: newRules });
      assert.deepEqual(updated, { ...made, rules: newRules });
      assert.deepEqual(await store.access.scopeMaps.update('ci-map', { description: 'new' }), { ...made, rules: newRules, description: 'new' });
      assert.equal(await store.access.scopeMaps.update('missing', { description: 'x' }), undefined);
      assert.equal(await store.access.scopeMaps.get('missing'), undefined);
    });

    it('refuses bad names, long descriptions and taken names, writing nothing', async () => {
      await store.access.scopeMaps.create({ name: 'ci-map', description: '', rules });
      const state = await stateOf(store);
      for (const name of ['_mine', 'abcd', 'x'.repeat(61), 'has.dot']) {
        await assert.rejects(store.access.scopeMaps.create({ name, description: '', rules }), isCode('INVALID_REQUEST'), name);
      }
      await assert.rejects(store.access.scopeMaps.create({ name: 'long-desc', description: 'x'.repeat(257), rules }), isCode('INVALID_REQUEST'));
      await assert.rejects(store.access.scopeMaps.update('ci-map', { description: 'x'.repeat(257) }), isCode('INVALID_REQUEST'));
      await assert.rejects(store.access.scopeMaps.create({ name: 'CI-MAP', description: '', rules }), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store), state);
      assert.ok(await store.access.scopeMaps.create({ name: 'x'.repeat(60), description: 'x'.repeat(256), rules }));
    });

    it('keeps system maps read-only', async () => {
      const state = await stateOf(store);
      for (const name of SYSTEM_MAPS) {
        await assert.rejects(store.access.scopeMaps.update(name, { description: 'mine' }), isCode('INVALID_REQUEST'));
        await assert.rejects(store.access.scopeMaps.update(name.toUpperCase(), { rules: [] }), isCode('INVALID_REQUEST'));
        await assert.rejects(store.access.scopeMaps.delete(name), isCode('INVALID_REQUEST'));
      }
      assert.deepEqual(await stateOf(store), state);
    });

    it('deletes a user map, but not while a token uses it', async () => {
      await store.access.scopeMaps.create({ name: 'ci-map', description: '', rules });
      await store.access.tokens.create(token('ci-token', { scopeMapName: 'ci-map' }));
      const state = await stateOf(store);
      await assert.rejects(store.access.scopeMaps.delete('ci-map'), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store), state);
      await store.access.tokens.update('ci-token', { scopeMapName: '_repositories_pull' });
      assert.equal(await store.access.scopeMaps.delete('CI-map'), true);
      assert.equal(await store.access.scopeMaps.delete('ci-map'), false);
      assert.equal(await store.access.scopeMaps.get('ci-map'), undefined);
    });
  });

  describe('role assignments', () => {
    it('lists by principal (any scope) and exactly by scope', async () => {
      const alice = await store.access.users.create(user('alice'));
      const robot = await store.access.servicePrincipals.create(sp('robot'));
      const pull = await store.access.roleAssignments.create(assignment(alice.objectId, { createdBy: 'admin-object-id' }));
      await tick();
      const sign = await store.access.roleAssignments.create(
        assignment(alice.objectId, { roleDefinitionId: SIGNER, roleName: 'AcrImageSigner', scope: REPO_SCOPE }),
      );
      await tick();
      const push = await store.access.roleAssignments.create(
        assignment(robot.objectId, { principalType: 'ServicePrincipal', roleDefinitionId: ACR_PUSH, roleName: 'AcrPush' }),
      );
      assert.equal(pull.createdBy, 'admin-object-id');
      assert.equal('createdBy' in sign, false);
      assert.deepEqual(await store.access.roleAssignments.get(sign.id), sign);
      assert.deepEqual(await store.access.roleAssignments.byPrincipal(alice.objectId), [pull, sign]);
      assert.deepEqual(await store.access.roleAssignments.byPrincipal(robot.objectId), [push]);
      assert.deepEqual(await store.access.roleAssignments.byScope(REGISTRY_ID), [pull, push]);
      assert.deepEqual(await store.access.roleAssignments.byScope(REPO_SCOPE), [sign]);
      assert.deepEqual(await store.access.roleAssignments.byScope(`${REGISTRY_ID}/repositories/team/app`), []);
      assert.equal((await store.access.roleAssignments.list()).length, 3);
      assert.equal(await store.access.roleAssignments.delete(pull.id), true);
      assert.equal(await store.access.roleAssignments.delete(pull.id), false);
      assert.equal(await store.access.roleAssignments.get(pull.id), undefined);
      assert.deepEqual(await store.access.roleAssignments.byScope(REGISTRY_ID), [push]);
    });

    it('refuses an unknown principal (or the wrong type) and duplicates, writing nothing', async () => {
      const alice = await store.access.users.create(user('alice'));
      const first = await store.access.roleAssignments.create(assignment(alice.objectId));
      const state = await stateOf(store);
      await assert.rejects(store.access.roleAssignments.create(assignment(randomUUID())), isCode('NOT_FOUND_RESOURCE'));
      await assert.rejects(
        store.access.roleAssignments.create(assignment(alice.objectId, { principalType: 'ServicePrincipal', scope: REPO_SCOPE })),
        isCode('NOT_FOUND_RESOURCE'),
      );
      await assert.rejects(store.access.roleAssignments.create(assignment(alice.objectId)), isCode('CONFLICT'));
      await assert.rejects(store.access.roleAssignments.create(assignment(alice.objectId, { id: first.id, scope: REPO_SCOPE })), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store), state);
      // Same role at another scope, or another role at the same scope, is a new assignment.
      assert.ok(await store.access.roleAssignments.create(assignment(alice.objectId, { scope: REPO_SCOPE })));
      assert.ok(await store.access.roleAssignments.create(assignment(alice.objectId, { roleDefinitionId: ACR_PUSH, roleName: 'AcrPush' })));
    });
  });

  describe('credential versions', () => {
    it('bumps from 0 one by one, per principal', async () => {
      const [p, q] = [randomUUID(), randomUUID()];
      assert.equal(await store.access.credentialVersions.bump(p), 1);
      assert.equal(await store.access.credentialVersions.bump(p), 2);
      assert.equal(await store.access.credentialVersions.current(p), 2);
      assert.equal(await store.access.credentialVersions.current(q), 0);
      const all = await Promise.all(Array.from({ length: 5 }, () => store.access.credentialVersions.bump(q)));
      assert.deepEqual([...all].sort(), [1, 2, 3, 4, 5]);
    });
  });

  describe('signing keys', () => {
    it('creates the primary key once, also when asked concurrently', async () => {
      let made = 0;
      const keys = await Promise.all([1, 2, 3].map(() => store.access.signingKeys.primary(async () => (made++, signingKey()))));
      for (const key of keys) assert.deepEqual(key, keys[0]);
      assert.equal(keys[0]?.isPrimary, true);
      assert.equal(keys[0]?.isRetired, false);
      assert.deepEqual(await store.access.signingKeys.list(), [keys[0]]);
      assert.ok(made >= 1);
      const again = await store.access.signingKeys.primary(async () => signingKey());
      assert.deepEqual(again, keys[0]);
    });

    it('rotates (the old key still verifies), retires, and makes a new primary after the primary retires', async () => {
      const input = signingKey('k1');
      const first = await store.access.signingKeys.primary(async () => input);
      assert.deepEqual({ ...first, createdAt: 0 }, { ...input, isPrimary: true });
      assert.deepEqual(first.sealedPrivateKey, input.sealedPrivateKey);
      await tick();
      const second = await store.access.signingKeys.rotate(signingKey('k2'));
      assert.equal(second.isPrimary, true);
      assert.deepEqual(await store.access.signingKeys.list(), [{ ...first, isPrimary: false }, second]);
      assert.deepEqual(await store.access.signingKeys.primary(async () => signingKey()), second);
      assert.equal(await store.access.signingKeys.retire('k1'), true);
      assert.deepEqual(await store.access.signingKeys.get('k1'), { ...first, isPrimary: false, isRetired: true });
      assert.deepEqual(await store.access.signingKeys.list(), [second]);
      assert.equal(await store.access.signingKeys.retire('missing'), false);
      assert.equal(await store.access.signingKeys.get('missing'), undefined);
      assert.equal(await store.access.signingKeys.retire('k2'), true);
      assert.deepEqual(await store.access.signingKeys.list(), []);
      const third = await store.access.signingKeys.primary(async () => signingKey('k3'));
      assert.equal(third.kid, 'k3');
      const state = await stateOf(store);
      await assert.rejects(store.access.signingKeys.rotate(signingKey('k3')), isCode('CONFLICT'));
      assert.deepEqual(await stateOf(store), state);
    });
  });
});

forTwoPostgresNodes('access records written from two nodes', (nodes) => {

  it('lets exactly one of two nodes take a login name, whatever the kinds', async () => {
    for (let i = 0; i < 5; i++) {
      const name = `shared-${i}`;
      const results = await Promise.allSettled([nodes.a.access.users.create(user(name)), nodes.b.access.tokens.create(token(name))]);
      const lost = results.filter((r) => r.status === 'rejected');
      assert.equal(lost.length, 1, JSON.stringify(results));
      assert.ok(isCode('CONFLICT')(lost[0]?.reason), String(lost[0]?.reason));
      const holder = await nodes.a.access.logins.resolve(name);
      const users = await nodes.b.access.users.list();
      const tokens = await nodes.b.access.tokens.list();
      assert.equal(users.filter((u) => u.userPrincipalName === name).length + tokens.filter((t) => t.name === name).length, 1);
      assert.ok(holder && (holder.kind === 'user' || holder.kind === 'token'));
    }
  });

  it('converges on one admin account and one primary signing key', async () => {
    const accounts = await Promise.all([nodes.a, nodes.b, nodes.a, nodes.b].map((n) => n.access.admin.ensure('myreg', async () => sealed())));
    for (const account of accounts) assert.deepEqual(account, accounts[0]);
    const keys = await Promise.all([nodes.a, nodes.b, nodes.a, nodes.b].map((n) => n.access.signingKeys.primary(async () => signingKey())));
    for (const key of keys) assert.deepEqual(key, keys[0]);
    const rotated = await Promise.all([nodes.a.access.signingKeys.rotate(signingKey()), nodes.b.access.signingKeys.rotate(signingKey())]);
    const primaries = (await nodes.a.access.signingKeys.list()).filter((k) => k.isPrimary);
    assert.equal(primaries.length, 1);
    assert.ok(rotated.some((k) => k.kid === primaries[0]?.kid));
  });
});
