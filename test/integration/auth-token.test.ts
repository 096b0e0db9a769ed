import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import type { RequestInit, Response } from 'undici';
import { registryResourceId } from '../../src/api/resource-ids.ts';
import type { Principal } from '../../src/auth/identity.ts';
import { TOKEN_ISSUER } from '../../src/auth/setup.ts';
import { TokenKeys } from '../../src/auth/token-keys.ts';
import { TokenService } from '../../src/auth/token-service.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openStores } from '../../src/storage/open.ts';
import { GunPolicy } from '../../src/trust/gun.ts';
import { KeyVault } from '../../src/trust/key-vault.ts';
import { expectStatus, jsonOf, pushImage, uniqueRepo, type Registry } from '../helpers/oci.ts';
import { waitFor } from '../helpers/net.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

const OWNER_PASSWORD = 'owner-password-for-tests';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const OWNER = basic('owner', OWNER_PASSWORD);

interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  refresh_token?: string;
  scope?: string;
}

/** The registry seen through one Authorization header. */
function as(wharf: WharfInstance, authorization: string): Registry {
  return {
    url: wharf.url,
    fetch: (path: string, init: RequestInit = {}) =>
      wharf.anonymousFetch(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization } }),
  };
}

describe('Docker token authentication (on by default)', { timeout: 120_000 }, () => {
  let wharf: WharfInstance;
  let login: string;
  let realm: string;

  before(async () => {
    wharf = await startWharf({ ownerPassword: OWNER_PASSWORD });
    login = wharf.host;
    realm = `https://${login}/oauth2/token`;
  });
  after(async () => {
    await wharf?.stop();
  });

  async function token(scopes: string[], authorization = OWNER): Promise<TokenBody> {
    const query = new URLSearchParams({ service: login, account: 'owner' });
    for (const s of scopes) query.append('scope', s);
    const res = await wharf.anonymousFetch(`/oauth2/token?${query}`, { headers: { authorization } });
    assert.equal(res.headers.get('content-type'), 'application/json');
    return jsonOf<TokenBody>(res);
  }

  async function postToken(form: Record<string, string | string[]>): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const value of [v].flat()) body.append(k, value);
    return wharf.anonymousFetch('/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
  }

  async function expectChallenge(res: Response, expected: string, detail?: unknown[]): Promise<void> {
    const text = await res.text();
    assert.equal(res.status, 401, text);
    assert.equal(res.headers.get('www-authenticate'), expected);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const body = JSON.parse(text) as { errors: { code: string; detail?: unknown }[] };
    assert.equal(body.errors[0]?.code, 'UNAUTHORIZED');
    if (detail) assert.deepEqual(body.errors[0]?.detail, detail);
  }

  it('answers GET /v2/ without credentials with 401 and a challenge without scope', async () => {
    await expectChallenge(await wharf.anonymousFetch('/v2/'), `Bearer realm="${realm}",service="${login}"`);
  });

  it('answers a manifest GET without credentials with a pull challenge on the repository', async () => {
    const repo = uniqueRepo('auth/anon');
    await expectChallenge(
      await wharf.anonymousFetch(`/v2/${repo}/manifests/latest`),
      `Bearer realm="${realm}",service="${login}",scope="repository:${repo}:pull"`,
      [{ Type: 'repository', Name: repo, Action: 'pull' }],
    );
  });

  it('names the GUN in the challenge of a trust GET', async () => {
    const gun = `${login}/${uniqueRepo('auth/trust')}`;
    await expectChallenge(
      await wharf.anonymousFetch(`/v2/${gun}/_trust/tuf/root.json`),
      `Bearer realm="${realm}",service="${login}",scope="repository:${gun}:pull"`,
    );
  });

  it('issues a token with the asked access to the owner (GET with Basic)', async () => {
    const repo = uniqueRepo('auth/get');
    const body = await token([`repository:${repo}:push,pull`]);
    assert.equal(body.token, body.access_token);
    assert.equal(body.expires_in, 900);
    assert.equal(body.refresh_token, undefined);
    const claims = decodeJwt(body.token);
    assert.equal(claims.aud, login);
    assert.deepEqual(claims['access'], [{ type: 'repository', name: repo, actions: ['pull', 'push'] }]);
  });

  it('pushes and pulls with Bearer tokens, and the token opens GET /v2/', async () => {
    const repo = uniqueRepo('auth/bearer');
    const push = await token([`repository:${repo}:pull,push`]);
    const image = await pushImage(as(wharf, `Bearer ${push.token}`), repo, { reference: 'v1' });
    const pull = await token([`repository:${repo}:pull`]);
    const res = await as(wharf, `Bearer ${pull.token}`).fetch(`/v2/${repo}/manifests/v1`, { headers: { accept: image.manifest.mediaType } });
    assert.equal(await expectStatus(res, 200), image.manifest.bytes.toString());
    await expectStatus(await as(wharf, `Bearer ${(await token([])).token}`).fetch('/v2/'), 200);
  });

  it('accepts Basic credentials directly on /v2', async () => {
    const repo = uniqueRepo('auth/basic');
    const image = await pushImage(as(wharf, OWNER), repo, { reference: 'v1' });
    const res = await as(wharf, OWNER).fetch(`/v2/${repo}/manifests/v1`, { headers: { accept: image.manifest.mediaType } });
    await expectStatus(res, 200);
    await expectStatus(await as(wharf, OWNER).fetch('/v2/'), 200);
  });

  it('refuses a token for another repository with insufficient_scope', async () => {
    const repo = uniqueRepo('auth/scope');
    await pushImage(as(wharf, OWNER), repo, { reference: 'v1' });
    const other = await token([`repository:${repo}-other:pull`]);
    await expectChallenge(
      await as(wharf, `Bearer ${other.token}`).fetch(`/v2/${repo}/manifests/v1`),
      `Bearer realm="${realm}",service="${login}",scope="repository:${repo}:pull",error="insufficient_scope"`,
    );
    // A pull token does not push: nothing is written.
    const pull = await token([`repository:${repo}:pull`]);
    await expectChallenge(
      await as(wharf, `Bearer ${pull.token}`).fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' }),
      `Bearer realm="${realm}",service="${login}",scope="repository:${repo}:pull,push",error="insufficient_scope"`,
    );
  });

  describe('rejects bad tokens with invalid_token and writes nothing', () => {
    let expired: string;
    let forged: string;
    let algNone: string;

    before(async () => {
      const repoClaim = (repo: string) => [{ type: 'repository', name: repo, actions: ['pull', 'push'] }];
      // Expired: signed by the server's own key (opened from its data directory), issued two hours ago.
      const config = loadConfig({ env: {}, flags: { data: wharf.dataDir } });
      const stores = await openStores(config);
      try {
        const vault = await KeyVault.load(config);
        const twoHoursAgo = Date.now() - 2 * 3600 * 1000;
        const registry = await stores.metadata.settings.get();
        const service = new TokenService({
          keys: new TokenKeys(stores.metadata.access.signingKeys, vault), issuer: TOKEN_ISSUER, services: [login], access: stores.metadata.access,
          registryId: registryResourceId(registry!.installationId, registry!.name), guns: new GunPolicy([login]), anonymousPullEnabled: async () => false, now: () => twoHoursAgo,
        });
        const user = await stores.metadata.access.users.byName('owner');
        const principal: Principal = { kind: 'user', id: user!.objectId, name: 'owner', credentialVersion: 0, credentialId: user!.objectId, via: 'password' };
        const issued = await service.issue({ service: login, scopes: ['repository:auth/bad:pull,push'], principal, offline: false, grant: 'get' });
        assert.ok(issued.ok);
        expired = issued.response.token;
      } finally {
        await stores.close();
      }
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const real = decodeJwt((await token(['repository:auth/bad:pull,push'])).token);
      forged = await new SignJWT({ ...real, access: repoClaim('auth/bad') }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'forged' }).sign(privateKey);
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...real, access: repoClaim('auth/bad') })}.`;
    });

    for (const kind of ['expired', 'forged', 'alg-none'] as const) {
      it(`refuses an ${kind} token`, async () => {
        const jwt = kind === 'expired' ? expired : kind === 'forged' ? forged : algNone;
        const reg = as(wharf, `Bearer ${jwt}`);
        await expectChallenge(
          await reg.fetch('/v2/auth/bad/blobs/uploads/', { method: 'POST' }),
          `Bearer realm="${realm}",service="${login}",scope="repository:auth/bad:pull,push",error="invalid_token"`,
        );
        await expectChallenge(
          await reg.fetch('/v2/auth/bad/manifests/v1', { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: '{}' }),
          `Bearer realm="${realm}",service="${login}",scope="repository:auth/bad:pull,push",error="invalid_token"`,
        );
        const tags = await as(wharf, OWNER).fetch('/v2/auth/bad/tags/list');
        assert.equal(tags.status, 404, await tags.text());
      });
    }
  });

  it('gives a refresh token for an offline POST password grant, and the refresh grant works', async () => {
    const repo = uniqueRepo('auth/refresh');
    const res = await postToken({
      grant_type: 'password', service: login, client_id: 'test', username: 'owner', password: OWNER_PASSWORD, access_type: 'offline',
      scope: [`repository:${repo}:pull`, `repository:${repo}:push`],
    });
    assert.equal(res.headers.get('content-type'), 'application/json');
    const first = await jsonOf<TokenBody>(res);
    assert.ok(first.refresh_token);
    assert.equal(first.scope, `repository:${repo}:pull,push`);
    const again = await jsonOf<TokenBody>(await postToken({ grant_type: 'refresh_token', service: login, refresh_token: first.refresh_token, scope: `repository:${repo}:pull` }));
    assert.equal(again.refresh_token, undefined);
    assert.deepEqual(decodeJwt(again.access_token)['access'], [{ type: 'repository', name: repo, actions: ['pull'] }]);
    // The refresh token is also a Basic password under the null GUID (spec 1.5).
    const viaGet = await token([`repository:${repo}:pull`], basic('00000000-0000-0000-0000-000000000000', first.refresh_token));
    assert.deepEqual(decodeJwt(viaGet.token)['access'], [{ type: 'repository', name: repo, actions: ['pull'] }]);
  });

  it('refuses a wrong password with 401 UNAUTHORIZED, on GET, POST and /v2', async () => {
    const bad = basic('owner', 'wrong');
    const get = await wharf.anonymousFetch(`/oauth2/token?service=${encodeURIComponent(login)}`, { headers: { authorization: bad } });
    assert.equal(get.status, 401);
    assert.deepEqual(((await get.json()) as { errors: { code: string }[] }).errors.map((e) => e.code), ['UNAUTHORIZED']);
    const post = await postToken({ grant_type: 'password', service: login, username: 'owner', password: 'wrong' });
    assert.equal(post.status, 401);
    await post.text();
    await expectChallenge(await as(wharf, bad).fetch('/v2/'), `Bearer realm="${realm}",service="${login}"`);
  });

  it('answers a wrong service or grant type with 400', async () => {
    const get = await wharf.anonymousFetch('/oauth2/token?service=elsewhere.example.com', { headers: { authorization: OWNER } });
    assert.equal(get.status, 400);
    await get.text();
    const post = await postToken({ grant_type: 'client_credentials', service: login });
    assert.equal(post.status, 400);
    assert.equal(((await post.json()) as { error: string }).error, 'unsupported_grant_type');
  });
});

describe('owner bootstrap (no owner password configured)', { timeout: 120_000 }, () => {
  it('prints how to log in and a generated owner password once on stdout, which logs in; a restart prints none', async () => {
    const first = await startWharf({ ownerPassword: false });
    const dataDir = first.dataDir;
    let printed: string | undefined;
    try {
      await waitFor('the banner', async () => first.output().includes('authentication:'));
      assert.match(first.output(), new RegExp(`docker login ${first.host} -u owner\n`));
      assert.match(first.output(), new RegExp(`npx wharf login ${first.host} -u owner --ca-file ${first.caFile}`));
      printed = /owner password \(shown once[^)]*\): (\S+)/.exec(first.output())?.[1];
      assert.ok(printed, first.output());
      const query = new URLSearchParams({ service: first.host, scope: 'repository:boot/app:pull' });
      const res = await first.anonymousFetch(`/oauth2/token?${query}`, { headers: { authorization: basic('owner', printed) } });
      assert.deepEqual(decodeJwt((await jsonOf<TokenBody>(res)).token)['access'], [{ type: 'repository', name: 'boot/app', actions: ['pull'] }]);
    } finally {
      await first.kill();
    }
    const second = await startWharf({ ownerPassword: false, dataDir, port: first.port });
    try {
      await waitFor('the banner', async () => second.output().includes('authentication:'));
      assert.doesNotMatch(second.output(), /owner password/);
      assert.equal(second.output().includes(printed), false);
      const res = await second.anonymousFetch('/v2/', { headers: { authorization: basic('owner', printed) } });
      await expectStatus(res, 200);
    } finally {
      await second.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

// The opt-out for a private network (docs/auth.md): the one test that needs auth off, as it is about it.
describe('auth.enabled false', { timeout: 120_000 }, () => {
  it('serves /v2 to anyone, has no token endpoint, and says so in its banner', async () => {
    const open = await startWharf({ env: { WHARF_AUTH__ENABLED: 'false' } });
    try {
      await waitFor('the banner', async () => open.output().includes('authentication:'));
      assert.match(open.output(), new RegExp(`authentication: OFF .*anyone who reaches ${open.host} may pull, push, sign and delete`));
      const repo = uniqueRepo('auth/open');
      const anonymous: Registry = { url: open.url, fetch: open.anonymousFetch };
      await pushImage(anonymous, repo, { reference: 'v1' });
      await expectStatus(await open.anonymousFetch(`/v2/${repo}/manifests/v1`, { method: 'HEAD' }), 200);
      await expectStatus(await open.anonymousFetch(`/oauth2/token?service=${encodeURIComponent(open.host)}`), 404);
    } finally {
      await open.stop();
    }
  });
});
