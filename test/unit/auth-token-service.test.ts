import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { IdentityResolver, type Principal } from '../../src/auth/identity.ts';
import { ROLES, type RoleName } from '../../src/auth/roles.ts';
import { adminPasswordAad, hashPassword, NULL_GUID, type ScryptParams } from '../../src/auth/secrets.ts';
import { TokenKeys } from '../../src/auth/token-keys.ts';
import { TokenService, type IssueRequest } from '../../src/auth/token-service.ts';
import type { MetadataStore } from '../../src/storage/metadata-store.ts';
import { GunPolicy } from '../../src/trust/gun.ts';
import { KeyVault } from '../../src/trust/key-vault.ts';
import { DRIVERS, type OpenedStore } from '../helpers/metadata-drivers.ts';

const LOGIN = 'reg.example.com:5443';
const REGISTRY_ID = '/subscriptions/inst/resourceGroups/default/providers/Wharf.ContainerRegistry/registries/myreg';
const FAST: ScryptParams = { logN: 10, r: 8, p: 1 };
const YEAR = 365 * 24 * 3600 * 1000;
const PASSWORD = 'correct horse battery staple';

for (const [driver, open] of Object.entries(DRIVERS)) {
  describe(`TokenService and IdentityResolver [${driver}]`, () => {
    let opened: OpenedStore;
    let store: MetadataStore;
    let vault: KeyVault;
    let tokens: TokenService;
    let identity: IdentityResolver;
    let anonymousPull: boolean;
    let now: number;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      vault = new KeyVault(randomBytes(32));
      anonymousPull = false;
      now = Date.now();
      const keys = new TokenKeys(store.access.signingKeys, vault, { now: () => now });
      tokens = new TokenService({
        keys, access: store.access, registryId: REGISTRY_ID, guns: new GunPolicy([LOGIN]), services: [LOGIN],
        issuer: 'wharf-test', anonymousPullEnabled: async () => anonymousPull, now: () => now,
      });
      identity = new IdentityResolver({ access: store.access, vault, refreshTokens: tokens, now: () => now });
    });
    afterEach(async () => {
      await opened.close();
    });

    async function user(name: string, ...roles: (RoleName | [RoleName, string])[]): Promise<string> {
      const objectId = randomUUID();
      await store.access.users.create({ objectId, userPrincipalName: name, displayName: name, passwordHash: await hashPassword(PASSWORD, FAST), isEnabled: true });
      for (const r of roles) {
        if (typeof r === 'string') await assign(objectId, 'User', r, REGISTRY_ID);
        else await assign(objectId, 'User', r[0], `${REGISTRY_ID}/repositories/${r[1]}`);
      }
      return objectId;
    }

    async function assign(principalId: string, principalType: 'User' | 'ServicePrincipal', role: RoleName, scope: string): Promise<void> {
      await store.access.roleAssignments.create({ id: randomUUID(), principalId, principalType, roleDefinitionId: ROLES[role].id, roleName: role, scope });
    }

    async function servicePrincipal(secret: string, role: RoleName): Promise<{ appId: string; objectId: string; keyId: string }> {
      const appId = randomUUID();
      const objectId = randomUUID();
      const keyId = randomUUID();
      const credential = { keyId, displayName: 'rbac', hash: await hashPassword(secret, FAST), hint: secret.slice(0, 3), startsAt: now - 1000, endsAt: now + YEAR };
      await store.access.servicePrincipals.create({
        appId, objectId, displayName: 'ci', servicePrincipalNames: [appId, 'http://ci'], isEnabled: true, passwordCredentials: [credential],
      });
      await assign(objectId, 'ServicePrincipal', role, REGISTRY_ID);
      return { appId, objectId, keyId };
    }

    async function scopedToken(name: string, scopeMapName: string, extra: { expiresAt?: number; password2?: string } = {}): Promise<void> {
      const password1 = { hash: await hashPassword(PASSWORD, FAST), createdAt: now, ...(extra.expiresAt === undefined ? {} : { expiresAt: extra.expiresAt }) };
      const password2 = extra.password2 === undefined ? undefined : { hash: await hashPassword(extra.password2, FAST), createdAt: now };
      await store.access.tokens.create({ name, objectId: randomUUID(), scopeMapName, status: 'enabled', password1, ...(password2 ? { password2 } : {}) });
    }

    async function admin(enabled: boolean): Promise<void> {
      const seal = (pw: string, slot: 'password' | 'password2') => vault.seal(Buffer.from(pw), adminPasswordAad('myreg', slot));
      await store.access.admin.ensure('myreg', async () => ({ sealedPassword: seal('admin-one', 'password'), sealedPassword2: seal('admin-two', 'password2') }));
      await store.access.admin.setEnabled(enabled);
    }

    async function login(username: string, password = PASSWORD): Promise<Principal> {
      const result = await identity.authenticate({ username, password, service: LOGIN });
      assert.ok(result.ok, `login ${username}: ${result.ok ? '' : result.reason}`);
      return result.principal;
    }

    async function grantFor(principal: Principal | undefined, ...scopes: string[]): Promise<unknown> {
      const result = await tokens.issue({ service: LOGIN, scopes, principal, offline: false, grant: 'get' });
      assert.ok(result.ok, result.ok ? '' : result.reason);
      const verified = await tokens.verifyAccessToken(result.response.token, { service: LOGIN });
      assert.ok(verified.ok);
      assert.deepEqual(verified.access, result.access);
      return verified.access;
    }

    describe('username resolution (spec 1.2)', () => {
      it('resolves a user by name, case-insensitively, and refuses a wrong password or a disabled user', async () => {
        const id = await user('alice@example.com');
        const p = await login('ALICE@example.com');
        assert.deepEqual(p, { kind: 'user', id, name: 'alice@example.com', credentialVersion: 0, credentialId: id, via: 'password' });
        assert.deepEqual(await identity.authenticate({ username: 'alice@example.com', password: 'nope', service: LOGIN }), { ok: false, reason: 'bad_credentials' });
        await store.access.users.update(id, { isEnabled: false });
        assert.deepEqual(await identity.authenticate({ username: 'alice@example.com', password: PASSWORD, service: LOGIN }), { ok: false, reason: 'disabled' });
      });

      it('answers unknown names with unknown_name after a full password check', async () => {
        assert.deepEqual(await identity.authenticate({ username: 'nobody', password: PASSWORD, service: LOGIN }), { ok: false, reason: 'unknown_name' });
      });

      it('checks the admin account against password and password2, only while it is enabled', async () => {
        await admin(false);
        assert.deepEqual(await identity.authenticate({ username: 'MyReg', password: 'admin-one', service: LOGIN }), { ok: false, reason: 'disabled' });
        await store.access.admin.setEnabled(true);
        const one = await login('myreg', 'admin-one');
        assert.equal(one.kind, 'admin');
        assert.equal(one.id, 'myreg');
        assert.equal((await login('myreg', 'admin-two')).kind, 'admin');
        assert.deepEqual(await identity.authenticate({ username: 'myreg', password: 'admin-one ', service: LOGIN }), { ok: false, reason: 'bad_credentials' });
      });

      it('checks scoped tokens against password1 and password2, their expiry and status', async () => {
        await scopedToken('ci-pull', '_repositories_pull', { password2: 'second' });
        assert.equal((await login('ci-pull')).kind, 'scoped-token');
        assert.equal((await login('CI-PULL', 'second')).name, 'ci-pull');
        await scopedToken('ci-old1', '_repositories_pull', { expiresAt: now - 1 });
        assert.deepEqual(await identity.authenticate({ username: 'ci-old1', password: PASSWORD, service: LOGIN }), { ok: false, reason: 'expired' });
        await store.access.tokens.update('ci-pull', { status: 'disabled' });
        assert.deepEqual(await identity.authenticate({ username: 'ci-pull', password: PASSWORD, service: LOGIN }), { ok: false, reason: 'disabled' });
      });

      it('checks a service principal appId against its unexpired secrets', async () => {
        const sp = await servicePrincipal('sp-secret', 'AcrPull');
        const p = await login(sp.appId, 'sp-secret');
        assert.deepEqual(p, { kind: 'servicePrincipal', id: sp.objectId, name: sp.appId, credentialVersion: 0, credentialId: sp.keyId, via: 'password' });
        now += 2 * YEAR;
        assert.deepEqual(await identity.authenticate({ username: sp.appId, password: 'sp-secret', service: LOGIN }), { ok: false, reason: 'bad_credentials' });
      });

      it('refuses a null-GUID login whose password is not a refresh token', async () => {
        assert.deepEqual(await identity.authenticate({ username: NULL_GUID, password: PASSWORD, service: LOGIN }), { ok: false, reason: 'invalid_refresh_token' });
      });
    });

    describe('issue: the intersection of requested and held (spec 1.2, 4)', () => {
      it('never grants more than held, and reads action lists as sets', async () => {
        await user('puller', 'AcrPull');
        const p = await login('puller');
        assert.deepEqual(await grantFor(p, 'repository:team/app:pull,push,delete'), [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
        assert.deepEqual(await grantFor(p, 'repository:team/app:push,pull'), await grantFor(p, 'repository:team/app:pull,push'));
        assert.deepEqual(await grantFor(p), []);
      });

      it('expands * to the concrete held actions, on repositories and GUNs', async () => {
        await user('contrib', 'Contributor');
        const p = await login('contrib');
        assert.deepEqual(await grantFor(p, 'repository:team/app:*', `repository:${LOGIN}/team/app:*`), [
          { type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete', 'metadataRead', 'metadataWrite'] },
          { type: 'repository', name: `${LOGIN}/team/app`, actions: ['pull', 'push'] },
        ]);
      });

      it('handles repeated and space-separated scopes, merging one name and echoing names exactly', async () => {
        await user('pusher', ['AcrPush', 'team/*']);
        const p = await login('pusher');
        assert.deepEqual(await grantFor(p, 'repository:team/app:pull repository:other/x:pull', 'repository:team/app:push', 'repository(plugin):team/lib:pull'), [
          { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
          { type: 'repository', name: 'other/x', actions: [] },
          { type: 'repository', name: 'team/lib', actions: ['pull'] },
        ]);
      });

      it('grants GUN pull for content/read or content/sign, GUN push only for content/sign', async () => {
        const gun = `repository:${LOGIN}/team/app:push,pull`;
        await user('puller', 'AcrPull');
        await user('signer', 'AcrImageSigner');
        assert.deepEqual(await grantFor(await login('puller'), gun), [{ type: 'repository', name: `${LOGIN}/team/app`, actions: ['pull'] }]);
        assert.deepEqual(await grantFor(await login('signer'), gun, 'repository:team/app:push,pull'), [
          { type: 'repository', name: `${LOGIN}/team/app`, actions: ['pull', 'push'] },
          { type: 'repository', name: 'team/app', actions: [] },
        ]);
      });

      it('gives an AcrPush-only user repository push but no GUN push', async () => {
        await user('pusher', 'AcrPush');
        assert.deepEqual(await grantFor(await login('pusher'), 'repository:team/app:pull,push', `repository:${LOGIN}/team/app:push`), [
          { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
          { type: 'repository', name: `${LOGIN}/team/app`, actions: [] },
        ]);
      });

      it('never gives the admin account GUN push', async () => {
        await admin(true);
        assert.deepEqual(await grantFor(await login('myreg', 'admin-one'), 'repository:team/app:*', `repository:${LOGIN}/team/app:*`, 'registry:catalog:*'), [
          { type: 'repository', name: 'team/app', actions: ['pull', 'push', 'delete', 'metadataRead', 'metadataWrite'] },
          { type: 'repository', name: `${LOGIN}/team/app`, actions: ['pull'] },
          { type: 'registry', name: 'catalog', actions: ['*'] },
        ]);
      });

      it('gives a _repositories_push_sign token GUN push, a _repositories_push token none, neither the catalog', async () => {
        await scopedToken('ci-sign', '_repositories_push_sign');
        await scopedToken('ci-push', '_repositories_push');
        const asked = [`repository:${LOGIN}/team/app:push,pull`, 'registry:catalog:*'];
        assert.deepEqual(await grantFor(await login('ci-sign'), ...asked), [
          { type: 'repository', name: `${LOGIN}/team/app`, actions: ['pull', 'push'] },
          { type: 'registry', name: 'catalog', actions: [] },
        ]);
        assert.deepEqual(await grantFor(await login('ci-push'), ...asked), [
          { type: 'repository', name: `${LOGIN}/team/app`, actions: ['pull'] },
          { type: 'registry', name: 'catalog', actions: [] },
        ]);
      });

      it('applies user-defined scope maps rule by rule', async () => {
        await store.access.scopeMaps.create({ name: 'team-rw', description: '', rules: [{ pattern: 'team/*', actions: ['content/read', 'content/write'] }] });
        await scopedToken('ci-team', 'team-rw');
        assert.deepEqual(await grantFor(await login('ci-team'), 'repository:team/app:pull,push', 'repository:other:pull'), [
          { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
          { type: 'repository', name: 'other', actions: [] },
        ]);
      });

      it('issues anonymous pull-only tokens only while anonymous pull is enabled', async () => {
        const pull = { service: LOGIN, scopes: ['repository:team/app:pull'], principal: undefined, offline: false, grant: 'get' } as const;
        assert.deepEqual(await tokens.issue(pull), { ok: false, reason: 'unauthorized' });
        anonymousPull = true;
        assert.deepEqual(await grantFor(undefined, 'repository:team/app:pull', `repository:${LOGIN}/team/app:pull`), [
          { type: 'repository', name: 'team/app', actions: ['pull'] },
          { type: 'repository', name: `${LOGIN}/team/app`, actions: ['pull'] },
        ]);
        assert.deepEqual(await tokens.issue({ ...pull, scopes: ['repository:team/app:pull,push'] }), { ok: false, reason: 'unauthorized' });
        assert.deepEqual(await tokens.issue({ ...pull, scopes: ['registry:catalog:*'] }), { ok: false, reason: 'unauthorized' });
      });

      it('refuses another service and malformed scopes', async () => {
        const base: IssueRequest = { service: 'other.example.com', scopes: [], principal: undefined, offline: false, grant: 'get' };
        assert.deepEqual(await tokens.issue(base), { ok: false, reason: 'invalid_service' });
        const bad = await tokens.issue({ ...base, service: LOGIN, scopes: ['repository:team/app'] });
        assert.ok(!bad.ok && bad.reason === 'invalid_scope');
      });

      it('writes the claims of spec 1.4 and the response body of 1.2', async () => {
        const id = await user('puller', 'AcrPull');
        const result = await tokens.issue({ service: LOGIN, scopes: ['repository:team/app:pull'], principal: await login('puller'), offline: true, grant: 'get' });
        assert.ok(result.ok);
        const { response } = result;
        assert.deepEqual(Object.keys(response).sort(), ['access_token', 'expires_in', 'issued_at', 'token']);
        assert.equal(response.access_token, response.token);
        assert.equal(response.expires_in, 900);
        assert.match(response.issued_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
        assert.equal(result.scope, 'repository:team/app:pull');
        const header = decodeProtectedHeader(response.token);
        assert.deepEqual({ alg: header.alg, typ: header.typ }, { alg: 'ES256', typ: 'JWT' });
        assert.equal(typeof header.kid, 'string');
        const claims = decodeJwt(response.token);
        assert.deepEqual(
          { iss: claims.iss, sub: claims.sub, aud: claims.aud, version: claims['version'], grant_type: claims['grant_type'] },
          { iss: 'wharf-test', sub: id, aud: LOGIN, version: '1.0', grant_type: 'access_token' },
        );
        assert.equal(claims.iat, Math.floor(now / 1000));
        assert.equal(claims.nbf, claims.iat);
        assert.equal(claims.exp, (claims.iat ?? 0) + 900);
        assert.match(claims.jti ?? '', /^[0-9a-f-]{36}$/);
      });
    });

    describe('refresh tokens (spec 1.3, 1.4)', () => {
      async function refreshFor(principal: Principal): Promise<string | undefined> {
        const result = await tokens.issue({ service: LOGIN, scopes: [], principal, offline: true, grant: 'password' });
        assert.ok(result.ok);
        return result.response.refresh_token;
      }

      it('come only from an offline POST password grant by a user or service principal', async () => {
        await user('alice', 'AcrPull');
        const alice = await login('alice');
        assert.equal(typeof (await refreshFor(alice)), 'string');
        const get = await tokens.issue({ service: LOGIN, scopes: [], principal: alice, offline: true, grant: 'get' });
        assert.ok(get.ok && get.response.refresh_token === undefined);
        const online = await tokens.issue({ service: LOGIN, scopes: [], principal: alice, offline: false, grant: 'password' });
        assert.ok(online.ok && online.response.refresh_token === undefined);
        const sp = await servicePrincipal('sp-secret', 'AcrPull');
        assert.equal(typeof (await refreshFor(await login(sp.appId, 'sp-secret'))), 'string');
        await admin(true);
        assert.equal(await refreshFor(await login('myreg', 'admin-one')), undefined);
        await scopedToken('ci-pull', '_repositories_pull');
        assert.equal(await refreshFor(await login('ci-pull')), undefined);
      });

      it('log in under the null GUID, with rights computed afresh and no new refresh token', async () => {
        const id = await user('alice');
        const refresh = await refreshFor(await login('alice'));
        assert.ok(refresh);
        assert.equal((await tokens.verifyAccessToken(refresh, { service: LOGIN })).ok, false);
        const p = await login(NULL_GUID, refresh);
        assert.deepEqual(p, { kind: 'user', id, name: 'alice', credentialVersion: 0, credentialId: id, via: 'refresh_token' });
        assert.deepEqual(await grantFor(p, 'repository:a:pull'), [{ type: 'repository', name: 'a', actions: [] }]);
        await assign(id, 'User', 'AcrPull', REGISTRY_ID);
        assert.deepEqual(await grantFor(await login(NULL_GUID, refresh), 'repository:a:pull'), [{ type: 'repository', name: 'a', actions: ['pull'] }]);
        const again = await tokens.issue({ service: LOGIN, scopes: [], principal: p, offline: true, grant: 'password' });
        assert.ok(again.ok && again.response.refresh_token === undefined);
      });

      it('die when the password changes, the user is disabled or deleted', async () => {
        const id = await user('alice');
        const refresh = await refreshFor(await login('alice'));
        assert.ok(refresh);
        await store.access.users.update(id, { passwordHash: await hashPassword('new one', FAST) });
        assert.deepEqual(await identity.authenticate({ username: NULL_GUID, password: refresh, service: LOGIN }), { ok: false, reason: 'revoked' });
        const second = await refreshFor(await login('alice', 'new one'));
        assert.ok(second);
        assert.equal((await login(NULL_GUID, second)).credentialVersion, 1);
        await store.access.users.update(id, { isEnabled: false });
        assert.deepEqual(await identity.authenticate({ username: NULL_GUID, password: second, service: LOGIN }), { ok: false, reason: 'revoked' });
        await store.access.users.update(id, { isEnabled: true });
        const third = await refreshFor(await login('alice', 'new one'));
        assert.ok(third);
        await store.access.users.delete(id);
        assert.deepEqual(await identity.authenticate({ username: NULL_GUID, password: third, service: LOGIN }), { ok: false, reason: 'revoked' });
      });

      it('die when the service principal secret is removed, and are bound to the service', async () => {
        const sp = await servicePrincipal('sp-secret', 'AcrPull');
        const refresh = await refreshFor(await login(sp.appId, 'sp-secret'));
        assert.ok(refresh);
        assert.equal((await login(NULL_GUID, refresh)).kind, 'servicePrincipal');
        assert.deepEqual(await identity.authenticate({ username: NULL_GUID, password: refresh, service: 'other' }), { ok: false, reason: 'invalid_refresh_token' });
        await store.access.servicePrincipals.removePassword(sp.objectId, sp.keyId);
        assert.deepEqual(await identity.authenticate({ username: NULL_GUID, password: refresh, service: LOGIN }), { ok: false, reason: 'revoked' });
      });

      it('expire after three hours', async () => {
        await user('alice');
        const refresh = await refreshFor(await login('alice'));
        assert.ok(refresh);
        now += 3 * 3600 * 1000 + 60_000;
        assert.deepEqual(await tokens.verifyRefreshToken(refresh, { service: LOGIN }), { ok: false, reason: 'expired' });
      });
    });
  });
}
