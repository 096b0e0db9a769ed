import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import type { Response } from 'undici';
import {
  AccessSeed, AUTH_ENV, basic, NULL_GUID_USER, OWNER, postToken, requestToken, SourceAddress, tokenFor,
} from '../helpers/auth-fixtures.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { jsonOf, pushImage, uniqueRepo } from '../helpers/oci.ts';
import { captureState, initRepo, nextTargets, publish, tufPath, type TrustRepo, type TrustState } from '../helpers/trust-api.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

// forEachBackend starts each Wharf with this process's environment: token authentication on, known owner.
Object.assign(process.env, AUTH_ENV);

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

interface LogLine {
  event?: string;
  reason?: string;
  credential?: string;
  principal?: string;
  action?: string;
  resource?: string;
  source?: string;
  delayMs?: number;
}

/** The server's JSON log lines (stdout and stderr). */
function logLines(wharf: WharfInstance): LogLine[] {
  return wharf.output().split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** The value of a counter sample whose labels include all of `labels` (0 when absent). */
async function counter(wharf: WharfInstance, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await wharf.fetch('/metrics')).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const prefix = want.length === 0 ? `${name} ` : `${name}{`;
  const line = text.split('\n').find((l) => l.startsWith(prefix) && want.every((w) => l.includes(w)));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Refused credentials over HTTP (issue #4): every bad token or password is a 401 in the registry's
 * error format with the spec 1.1 challenge, writes nothing (tags, manifests, trust data), is logged
 * without its secret and counted in /metrics; a guessing source is slowed, a correct login is not.
 * Each case talks from its own loopback address so the per-source backoff stays out of the way.
 */
forEachBackend('refused credentials', (ctx) => {
  let wharf: WharfInstance;
  let seed: AccessSeed;
  let repo: string;
  let gun: string;
  let digest: string;
  let trust: TrustRepo;
  let trustBefore: TrustState;
  let aliceId: string;
  // The owner reading back (a Bearer token: Basic would cost a password hash per request).
  let ownerReads: string;
  let reader: SourceAddress;
  const sources: SourceAddress[] = [];
  // Every password and token the tests send; none may appear in the server's output.
  const secrets: string[] = [];
  const secret = <T extends string>(value: T): T => {
    secrets.push(value);
    return value;
  };
  const PASSWORD = secret(`alice-${randomUUID()}`);

  function source(n: number): SourceAddress {
    const s = new SourceAddress(wharf, `127.0.0.${n}`);
    sources.push(s);
    return s;
  }

  async function refreshTokenOf(user: string, password: string): Promise<string> {
    const body = await jsonOf<{ refresh_token: string }>(await postToken(wharf, {
      grant_type: 'password', service: wharf.host, client_id: 'test', username: user, password, access_type: 'offline',
    }));
    return secret(body.refresh_token);
  }

  before(async () => {
    wharf = ctx.registry;
    seed = await AccessSeed.open(wharf);
    aliceId = await seed.user('alice', PASSWORD, [{ role: 'Owner' }]);
    repo = uniqueRepo('neg/app');
    gun = `${wharf.host}/${repo}`;
    const owner = source(2).as(OWNER);
    digest = (await pushImage(owner, repo, { reference: 'v1' })).manifest.digest;
    trust = await initRepo(owner, gun);
    trustBefore = await captureState(owner, gun);
    reader = source(3);
    ownerReads = `Bearer ${await tokenFor(wharf, OWNER, [`repository:${repo}:pull`, `repository:${gun}:pull`])}`;
  });
  after(async () => {
    for (const s of sources) await s.close();
    await seed?.close();
  });

  /** Tags, the manifest and every trust role are as the owner left them. */
  async function assertNothingWritten(): Promise<void> {
    const owner = reader.as(ownerReads);
    const tags = await jsonOf<{ tags: string[] }>(await owner.fetch(`/v2/${repo}/tags/list`));
    assert.deepEqual(tags.tags, ['v1']);
    const head = await owner.fetch(`/v2/${repo}/manifests/v1`, { method: 'HEAD' });
    assert.equal(head.headers.get('docker-content-digest'), digest);
    assert.deepEqual(await captureState(owner, gun), trustBefore);
  }

  async function expectChallenge(res: Response, scope: string, error: string | undefined): Promise<void> {
    const text = await res.text();
    assert.equal(res.status, 401, text);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    const expected = `Bearer realm="https://${wharf.host}/oauth2/token",service="${wharf.host}",scope="${scope}"${error === undefined ? '' : `,error="${error}"`}`;
    assert.equal(res.headers.get('www-authenticate'), expected);
    assert.equal((JSON.parse(text) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');
  }

  /** Tries to tag, delete, publish trust data and delete trust data with one Authorization header. */
  async function attemptWrites(from: SourceAddress, authorization: string, error: string | undefined): Promise<void> {
    const reg = from.as(authorization);
    const manifest = await reader.as(ownerReads).fetch(`/v2/${repo}/manifests/v1`);
    const bytes = Buffer.from(await manifest.arrayBuffer());
    await expectChallenge(
      await reg.fetch(`/v2/${repo}/manifests/v2`, { method: 'PUT', headers: { 'content-type': manifest.headers.get('content-type')! }, body: bytes }),
      `repository:${repo}:pull,push`, error,
    );
    await expectChallenge(await reg.fetch(`/v2/${repo}/manifests/${digest}`, { method: 'DELETE' }), `repository:${repo}:delete`, error);
    await expectChallenge(await publish(reg, gun, [nextTargets(trust)]), `repository:${gun}:push,pull`, error);
    await expectChallenge(await reg.fetch(tufPath(gun), { method: 'DELETE' }), `repository:${gun}:*`, error);
    await assertNothingWritten();
  }

  /**
   * The auth events the server logged for requests from `from`, once `expected` of them are there:
   * the server writes its log asynchronously, so the last line may land after the last response.
   */
  const eventsFrom = async (from: SourceAddress, expected: number): Promise<LogLine[]> => {
    const read = () => logLines(wharf).filter((l) => l.source === from.address && l.event !== undefined);
    for (const deadline = Date.now() + 5_000; read().length < expected && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return read();
  };

  const everything = (): string[] => [`repository:${repo}:pull,push,delete`, `repository:${gun}:*`];

  interface BadToken {
    name: string;
    reason: string;
    make(): Promise<string>;
  }
  const badTokens: BadToken[] = [
    {
      name: 'expired (signed by the server key two hours ago)', reason: 'expired',
      make: async () => {
        const claims = decodeJwt(await tokenFor(wharf, basic('alice', PASSWORD), everything()));
        const past = Math.floor(Date.now() / 1000) - 7200;
        return (await seed.serverKey()).sign({ ...claims, iat: past, nbf: past, exp: past + 900 });
      },
    },
    {
      name: 'forged (another key under the server key id)', reason: 'bad_signature',
      make: async () => {
        const claims = decodeJwt(await tokenFor(wharf, basic('alice', PASSWORD), everything()));
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'ES256', kid: (await seed.serverKey()).kid }).sign(privateKey);
      },
    },
    {
      name: 'tampered (a pull token whose access was widened)', reason: 'bad_signature',
      make: async () => {
        const real = await tokenFor(wharf, basic('alice', PASSWORD), [`repository:${repo}:pull`]);
        const [header, , signature] = real.split('.');
        const claims = decodeJwt(real);
        const widened = { ...claims, access: [{ type: 'repository', name: repo, actions: ['pull', 'push', 'delete'] }, { type: 'repository', name: gun, actions: ['pull', 'push'] }] };
        return `${header}.${b64url(widened)}.${signature}`;
      },
    },
    {
      name: 'for another audience', reason: 'wrong_audience',
      make: async () => {
        const claims = decodeJwt(await tokenFor(wharf, basic('alice', PASSWORD), everything()));
        return (await seed.serverKey()).sign({ ...claims, aud: 'registry.elsewhere.example' });
      },
    },
    {
      name: 'from another issuer', reason: 'wrong_issuer',
      make: async () => {
        const claims = decodeJwt(await tokenFor(wharf, basic('alice', PASSWORD), everything()));
        return (await seed.serverKey()).sign({ ...claims, iss: 'someone-else' });
      },
    },
    {
      name: 'with alg none', reason: 'bad_algorithm',
      make: async () => {
        const claims = decodeJwt(await tokenFor(wharf, basic('alice', PASSWORD), everything()));
        return `${b64url({ typ: 'JWT', alg: 'none' })}.${b64url(claims)}.`;
      },
    },
    {
      name: 'HS256 keyed with the server public key (algorithm confusion)', reason: 'bad_algorithm',
      make: async () => {
        const claims = decodeJwt(await tokenFor(wharf, basic('alice', PASSWORD), everything()));
        const key = await seed.serverKey();
        return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'HS256', kid: key.kid }).sign(Buffer.from(key.publicKeyPem));
      },
    },
    {
      name: 'a refresh token presented as an access token', reason: 'wrong_token_type',
      make: () => refreshTokenOf('alice', PASSWORD),
    },
  ];

  badTokens.forEach((bad, i) => {
    it(`refuses a Bearer token ${bad.name} with invalid_token, writes nothing, logs ${bad.reason}`, async () => {
      const token = secret(await bad.make());
      const from = source(10 + i);
      await attemptWrites(from, `Bearer ${token}`, 'invalid_token');
      const events = await eventsFrom(from, 4);
      assert.equal(events.length, 4, JSON.stringify(events));
      for (const e of events) {
        assert.equal(e.event, 'auth.failure');
        assert.equal(e.credential, 'access_token');
        assert.equal(e.reason, bad.reason);
      }
      // Whatever a readable token claims is logged as the claimed principal.
      if (bad.reason !== 'wrong_token_type') assert.equal(events[0]!.principal, aliceId);
    });
  });

  it('refuses a valid token for another repository with insufficient_scope and reports the denial', async () => {
    const other = uniqueRepo('neg/other');
    const token = secret(await tokenFor(wharf, basic('alice', PASSWORD), [`repository:${other}:pull,push,delete`, `repository:${wharf.host}/${other}:*`]));
    const from = source(30);
    const denialsBefore = await counter(wharf, 'wharf_authz_denials_total', { action: 'pull,push' });
    await attemptWrites(from, `Bearer ${token}`, 'insufficient_scope');
    const events = await eventsFrom(from, 4);
    assert.deepEqual(events.map((e) => [e.event, e.principal, e.action, e.resource]), [
      ['authz.denied', aliceId, 'pull,push', `repository:${repo}`],
      ['authz.denied', aliceId, 'delete', `repository:${repo}`],
      ['authz.denied', aliceId, 'push,pull', `repository:${gun}`],
      ['authz.denied', aliceId, '*', `repository:${gun}`],
    ]);
    assert.equal(await counter(wharf, 'wharf_authz_denials_total', { action: 'pull,push' }), denialsBefore + 1);
  });

  it('refuses a valid token missing the action with insufficient_scope', async () => {
    const token = secret(await tokenFor(wharf, basic('alice', PASSWORD), [`repository:${repo}:pull`, `repository:${gun}:pull`]));
    assert.deepEqual(decodeJwt(token)['access'], [
      { type: 'repository', name: repo, actions: ['pull'] }, { type: 'repository', name: gun, actions: ['pull'] },
    ]);
    await attemptWrites(source(31), `Bearer ${token}`, 'insufficient_scope');
  });

  interface BadBasic {
    name: string;
    reason: string;
    credential: 'password' | 'refresh_token';
    principal: string;
    make(): Promise<string>;
  }
  const badBasics: BadBasic[] = [
    { name: 'a wrong password', reason: 'bad_credentials', credential: 'password', principal: 'alice', make: async () => basic('alice', secret(`wrong-${randomUUID()}`)) },
    { name: 'an unknown user', reason: 'unknown_name', credential: 'password', principal: 'nobody-here', make: async () => basic('nobody-here', secret(`pw-${randomUUID()}`)) },
    {
      name: 'the right password of a disabled user', reason: 'disabled', credential: 'password', principal: 'dora',
      make: async () => {
        const password = secret(`dora-${randomUUID()}`);
        await seed.user('dora', password, [{ role: 'Owner' }]);
        await seed.setUserEnabled('dora', false);
        return basic('dora', password);
      },
    },
    {
      name: 'a refresh token revoked by a password change', reason: 'revoked', credential: 'refresh_token', principal: NULL_GUID_USER,
      make: async () => {
        const password = secret(`bob-${randomUUID()}`);
        await seed.user('bob', password, [{ role: 'Owner' }]);
        const refresh = await refreshTokenOf('bob', password);
        await seed.setUserPassword('bob', secret(`bob-new-${randomUUID()}`));
        return basic(NULL_GUID_USER, refresh);
      },
    },
    {
      name: 'a refresh token revoked by disabling the user', reason: 'revoked', credential: 'refresh_token', principal: NULL_GUID_USER,
      make: async () => {
        const password = secret(`carol-${randomUUID()}`);
        await seed.user('carol', password, [{ role: 'Owner' }]);
        const refresh = await refreshTokenOf('carol', password);
        await seed.setUserEnabled('carol', false);
        return basic(NULL_GUID_USER, refresh);
      },
    },
  ];

  badBasics.forEach((bad, i) => {
    it(`refuses Basic with ${bad.name} (challenge without error), writes nothing, logs ${bad.reason}`, async () => {
      const from = source(40 + i);
      await attemptWrites(from, await bad.make(), undefined);
      const events = await eventsFrom(from, 4);
      assert.equal(events.length, 4, JSON.stringify(events));
      for (const e of events) {
        assert.deepEqual([e.event, e.credential, e.reason, e.principal], ['auth.failure', bad.credential, bad.reason, bad.principal]);
      }
      assert.deepEqual(events.map((e) => e.action), ['pull,push', 'delete', 'push,pull', '*']);
    });
  });

  it('the token endpoint refuses the same credentials with 401 UNAUTHORIZED and counts them', async () => {
    const before = await counter(wharf, 'wharf_auth_failures_total', { reason: 'revoked', credential: 'refresh_token' });
    const password = secret(`erin-${randomUUID()}`);
    await seed.user('erin', password, [{ role: 'AcrPull' }]);
    const refresh = await refreshTokenOf('erin', password);
    await seed.setUserPassword('erin', secret(`erin-new-${randomUUID()}`));
    const refused = [
      await requestToken(wharf, basic('erin', password), [`repository:${repo}:pull`]),
      await requestToken(wharf, basic(NULL_GUID_USER, refresh), [`repository:${repo}:pull`]),
      await postToken(wharf, { grant_type: 'refresh_token', service: wharf.host, refresh_token: refresh, scope: `repository:${repo}:pull` }),
      await postToken(wharf, { grant_type: 'password', service: wharf.host, username: 'erin', password }),
      await requestToken(wharf, `Bearer ${secret(await tokenFor(wharf, OWNER, []))}`, []),
    ];
    for (const res of refused) {
      const text = await res.text();
      assert.equal(res.status, 401, text);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.deepEqual((JSON.parse(text) as { errors: { code: string }[] }).errors.map((e) => e.code), ['UNAUTHORIZED']);
    }
    assert.equal(await counter(wharf, 'wharf_auth_failures_total', { reason: 'revoked', credential: 'refresh_token' }), before + 2);
  });

  it('counts every failure in /metrics by reason and credential', async () => {
    assert.ok(await counter(wharf, 'wharf_auth_failures_total', { reason: 'bad_signature', credential: 'access_token' }) >= 8);
    assert.ok(await counter(wharf, 'wharf_auth_failures_total', { reason: 'bad_algorithm', credential: 'access_token' }) >= 8);
    assert.ok(await counter(wharf, 'wharf_auth_failures_total', { reason: 'bad_credentials', credential: 'password' }) >= 4);
    assert.ok(await counter(wharf, 'wharf_auth_failures_total', { reason: 'disabled', credential: 'password' }) >= 4);
  });

  it('slows a source guessing one password, not the right password afterwards', { timeout: 60_000 }, async () => {
    const password = secret(`frank-${randomUUID()}`);
    await seed.user('frank', password, [{ role: 'AcrPull' }]);
    const guessing = source(60);
    const guesser = guessing.as();
    const delayedBefore = await counter(wharf, 'wharf_auth_delayed_total', {});
    const timings: number[] = [];
    for (let i = 0; i < 9; i++) {
      const started = performance.now();
      const res = await guesser.fetch(`/oauth2/token?service=${encodeURIComponent(wharf.host)}`, { headers: { authorization: basic('frank', secret(`guess-${i}-${randomUUID()}`)) } });
      assert.equal(res.status, 401);
      await res.text();
      timings.push(performance.now() - started);
    }
    // Five free failures, then about 250, 500, 1000, 2000 ms (a little less: counts decay meanwhile).
    const delays = (await eventsFrom(guessing, 9)).map((e) => e.delayMs ?? -1);
    assert.deepEqual(delays.slice(0, 5), [0, 0, 0, 0, 0]);
    for (let i = 5; i < 8; i++) assert.ok(delays[i + 1]! > 1.6 * delays[i]! && delays[i]! > 0, `delays ${delays.join(', ')}`);
    assert.ok(timings.slice(0, 5).every((t) => t < 1000), `free failures were slow: ${timings.map(Math.round).join(', ')}`);
    assert.ok(timings[8]! >= 1500, `the ninth failure waited only ${Math.round(timings[8]!)} ms`);
    assert.equal(await counter(wharf, 'wharf_auth_delayed_total', {}), delayedBefore + 4);

    // The right password from the same source, at once: valid credentials never wait.
    let started = performance.now();
    const ok = await guesser.fetch(`/oauth2/token?service=${encodeURIComponent(wharf.host)}`, { headers: { authorization: basic('frank', password) } });
    await jsonOf(ok);
    assert.ok(performance.now() - started < 1500, `a correct login waited ${Math.round(performance.now() - started)} ms`);

    // Guessing frank's password from another address does not start afresh: the user name counts too.
    started = performance.now();
    const elsewhere = await source(61).as(basic('frank', secret(`guess-x-${randomUUID()}`))).fetch('/v2/');
    assert.equal(elsewhere.status, 401);
    await elsewhere.text();
    assert.ok(performance.now() - started >= 2500, `a guess from another address waited only ${Math.round(performance.now() - started)} ms`);
  });

  it('never logs a password or token', () => {
    const output = wharf.output();
    assert.ok(output.includes('auth.failure'), 'the failures were logged');
    for (const s of secrets) assert.equal(output.includes(s), false, `a secret of ${s.length} characters appears in the server output`);
  });
});
