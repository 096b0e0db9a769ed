import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { base64url, calculateJwkThumbprint, decodeProtectedHeader, exportJWK, SignJWT } from 'jose';
import { challenge } from '../../src/auth/challenge.ts';
import type { Principal } from '../../src/auth/identity.ts';
import { signingKeyAad } from '../../src/auth/secrets.ts';
import { TokenKeys } from '../../src/auth/token-keys.ts';
import { TokenService, type TokenServiceOptions } from '../../src/auth/token-service.ts';
import type { MetadataStore } from '../../src/storage/metadata-store.ts';
import { GunPolicy } from '../../src/trust/gun.ts';
import { KeyVault } from '../../src/trust/key-vault.ts';
import { DRIVERS, type OpenedStore } from '../helpers/metadata-drivers.ts';

const LOGIN = 'reg.example.com';
const ADMIN: Principal = { kind: 'admin', id: 'myreg', name: 'myreg', credentialVersion: 0, credentialId: 'myreg', via: 'password' };

describe('challenge (spec 1.1)', () => {
  const realm = 'https://reg.example.com/oauth2/token';
  it('names realm and service only for GET /v2/', () => {
    assert.equal(challenge({ realm, service: LOGIN }), 'Bearer realm="https://reg.example.com/oauth2/token",service="reg.example.com"');
  });
  it('adds the scope, then the error, comma-separated without spaces', () => {
    assert.equal(
      challenge({ realm, service: LOGIN, scope: 'repository:team/app:pull,push' }),
      'Bearer realm="https://reg.example.com/oauth2/token",service="reg.example.com",scope="repository:team/app:pull,push"',
    );
    assert.equal(
      challenge({ realm, service: LOGIN, scope: 'repository:reg.example.com/team/app:push,pull', error: 'insufficient_scope' }),
      'Bearer realm="https://reg.example.com/oauth2/token",service="reg.example.com",scope="repository:reg.example.com/team/app:push,pull",error="insufficient_scope"',
    );
    assert.equal(
      challenge({ realm, service: LOGIN, error: 'invalid_token' }),
      'Bearer realm="https://reg.example.com/oauth2/token",service="reg.example.com",error="invalid_token"',
    );
  });
  it('escapes quotes and backslashes inside values', () => {
    assert.equal(challenge({ realm: 'a"b\\c', service: 's' }), 'Bearer realm="a\\"b\\\\c",service="s"');
  });
});

for (const [driver, open] of Object.entries(DRIVERS)) {
  describe(`token verification and signing keys [${driver}]`, () => {
    let opened: OpenedStore;
    let store: MetadataStore;
    let vault: KeyVault;
    let keys: TokenKeys;
    let now: number;

    const service = (extra: Partial<TokenServiceOptions> = {}) =>
      new TokenService({
        keys, access: store.access, registryId: '/r', guns: new GunPolicy([LOGIN]), services: [LOGIN, 'other.example.com'],
        issuer: 'wharf-test', anonymousPullEnabled: async () => false, now: () => now, ...extra,
      });

    async function issue(tokens: TokenService, scopes = ['repository:team/app:pull']): Promise<string> {
      const result = await tokens.issue({ service: LOGIN, scopes, principal: ADMIN, offline: false, grant: 'get' });
      assert.ok(result.ok);
      return result.response.token;
    }

    async function rejects(tokens: TokenService, jwt: string, reason: string): Promise<void> {
      assert.deepEqual(await tokens.verifyAccessToken(jwt, { service: LOGIN }), { ok: false, reason });
    }

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
      vault = new KeyVault(randomBytes(32));
      now = Date.now();
      keys = new TokenKeys(store.access.signingKeys, vault, { now: () => now });
    });
    afterEach(async () => {
      await opened.close();
    });

    it('accepts its own token and returns subject and access', async () => {
      const tokens = service();
      assert.deepEqual(await tokens.verifyAccessToken(await issue(tokens), { service: LOGIN }), {
        ok: true, subject: 'myreg', access: [{ type: 'repository', name: 'team/app', actions: ['pull'] }],
      });
    });

    it('carries no access to a repository that was not asked for', async () => {
      const tokens = service();
      const verified = await tokens.verifyAccessToken(await issue(tokens, ['repository:team/app:pull']), { service: LOGIN });
      assert.ok(verified.ok);
      assert.equal(verified.access.find((a) => a.name === 'team/other'), undefined);
    });

    it('rejects a tampered payload and a signature made with another key', async () => {
      const tokens = service();
      const jwt = await issue(tokens);
      const [header = '', payload = '', signature = ''] = jwt.split('.');
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
      claims['access'] = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }];
      await rejects(tokens, `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`, 'bad_signature');
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const kid = decodeProtectedHeader(jwt).kid ?? '';
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);
      await rejects(tokens, forged, 'bad_signature');
    });

    it('rejects alg none, HS256 and an unknown or missing kid', async () => {
      const tokens = service();
      const jwt = await issue(tokens);
      const [, payload = ''] = jwt.split('.');
      const kid = decodeProtectedHeader(jwt).kid ?? '';
      const none = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT', kid }));
      await rejects(tokens, `${none}.${payload}.`, 'bad_algorithm');
      const hs = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid }).sign(randomBytes(32));
      await rejects(tokens, hs, 'bad_algorithm');
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const claims = { sub: 'x', aud: LOGIN, iss: 'wharf-test', grant_type: 'access_token', version: '1.0', access: [] };
      await rejects(tokens, await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'nope' }).sign(privateKey), 'unknown_key');
      await rejects(tokens, await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(privateKey), 'unknown_key');
    });

    it('rejects malformed tokens, another audience and another issuer', async () => {
      const tokens = service();
      await rejects(tokens, 'not-a-jwt', 'malformed');
      await rejects(tokens, '', 'malformed');
      const jwt = await issue(tokens);
      assert.deepEqual(await tokens.verifyAccessToken(jwt, { service: 'other.example.com' }), { ok: false, reason: 'wrong_audience' });
      await rejects(service({ issuer: 'someone-else' }), jwt, 'wrong_issuer');
    });

    it('rejects expired and not-yet-valid tokens, within 30 s of tolerance', async () => {
      const tokens = service();
      const jwt = await issue(tokens);
      const issuedAt = now;
      now = issuedAt + (900 + 20) * 1000;
      assert.equal((await tokens.verifyAccessToken(jwt, { service: LOGIN })).ok, true);
      now = issuedAt + (900 + 31) * 1000;
      await rejects(tokens, jwt, 'expired');
      now = issuedAt - 60_000;
      await rejects(tokens, jwt, 'not_yet_valid');
    });

    it('rejects a refresh token presented as an access token', async () => {
      const tokens = service();
      const user: Principal = { ...ADMIN, kind: 'user', id: randomUUID() };
      const result = await tokens.issue({ service: LOGIN, scopes: [], principal: user, offline: true, grant: 'password' });
      assert.ok(result.ok && result.response.refresh_token);
      await rejects(tokens, result.response.refresh_token, 'wrong_token_type');
      assert.deepEqual(await tokens.verifyRefreshToken(result.response.token, { service: LOGIN }), { ok: false, reason: 'wrong_token_type' });
    });

    it('makes one sealed primary key whose kid is its JWK thumbprint, shared by every node', async () => {
      const other = new TokenKeys(store.access.signingKeys, vault);
      const [a, b] = await Promise.all([keys.signingKey(), other.signingKey()]);
      assert.equal(a.kid, b.kid);
      const record = await store.access.signingKeys.get(a.kid);
      assert.ok(record);
      assert.equal(record.alg, 'ES256');
      assert.equal(await calculateJwkThumbprint(await exportJWK(createPublicKey(record.publicKey))), a.kid);
      assert.ok(vault.open(record.sealedPrivateKey, signingKeyAad(a.kid)).length > 0);
      assert.throws(() => vault.open(record.sealedPrivateKey, signingKeyAad('another')));
      assert.equal(decodeProtectedHeader(await issue(service())).kid, a.kid);
    });

    it('keeps tokens of a rotated key valid until the key is retired', async () => {
      const tokens = service();
      const before = await issue(tokens);
      const oldKid = decodeProtectedHeader(before).kid ?? '';
      const newKid = await keys.rotate();
      assert.notEqual(newKid, oldKid);
      const after = await issue(tokens);
      assert.equal(decodeProtectedHeader(after).kid, newKid);
      assert.equal((await tokens.verifyAccessToken(before, { service: LOGIN })).ok, true);
      // Another node that cached the old key sees its retirement once the cache expires.
      const elsewhere = new TokenKeys(store.access.signingKeys, vault, { now: () => now });
      const remote = service({ keys: elsewhere });
      assert.equal((await remote.verifyAccessToken(before, { service: LOGIN })).ok, true);
      assert.equal(await keys.retire(oldKid), true);
      await rejects(tokens, before, 'unknown_key');
      assert.equal((await tokens.verifyAccessToken(after, { service: LOGIN })).ok, true);
      assert.equal((await remote.verifyAccessToken(before, { service: LOGIN })).ok, true);
      now += 61_000;
      await rejects(remote, before, 'unknown_key');
    });
  });
}
