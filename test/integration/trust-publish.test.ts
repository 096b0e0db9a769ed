import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IS_REFERENCE,
  bytesOf,
  currentBytes,
  forEachTrustBackend,
  getByChecksum,
  getByVersion,
  getRole,
  initRepo,
  nextClientSnapshot,
  nextTargets,
  publish,
  publishOk,
  rootSpecOf,
  uniqueGun,
  expectTrustError,
  type TrustRepo,
  type TrustServer,
} from '../helpers/trust-api.ts';
import {
  canonicalJson,
  countValidSignatures,
  fileMeta,
  generateKey,
  generateRootKey,
  parseEnvelope,
  randomPayload,
  rootSigned,
  sha256Hex,
  signFile,
  targetEntry,
  targetsSigned,
  type JsonObject,
  type PublicKey,
} from '../helpers/tuf.ts';

const DAY_MS = 86_400_000;

/** Timestamp and snapshot as served now, checked against the keys the server returned (7.1, 7.2). */
async function checkServerFiles(
  server: TrustServer,
  repo: TrustRepo,
  expectMeta: Record<string, Buffer>,
): Promise<{ timestamp: Buffer; snapshot: Buffer }> {
  const timestamp = await currentBytes(server, repo.gun, 'timestamp');
  const snapshot = await currentBytes(server, repo.gun, 'snapshot');
  const ts = parseEnvelope(timestamp).signed;
  assert.equal(ts['_type'], 'Timestamp');
  assert.equal(countValidSignatures(timestamp, [repo.serverTimestampKey]), 1, 'timestamp is signed by the key GET timestamp.key returned');
  assert.deepEqual((ts['meta'] as JsonObject)['snapshot'], fileMeta(snapshot), 'timestamp lists the served snapshot bytes');
  const tsExpiry = Date.parse(ts['expires'] as string) - Date.now();
  assert.ok(Math.abs(tsExpiry - 14 * DAY_MS) < 10 * 60_000, `timestamp expires in 14 days, got ${ts['expires']}`);
  const snap = parseEnvelope(snapshot).signed;
  assert.equal(snap['_type'], 'Snapshot');
  const snapKey: PublicKey | undefined = repo.snapshotKey ?? repo.serverSnapshotKey;
  assert.equal(countValidSignatures(snapshot, [snapKey!]), 1, 'snapshot is signed by the root-listed snapshot key');
  const meta = snap['meta'] as JsonObject;
  for (const [role, bytes] of Object.entries(expectMeta)) {
    const entry = meta[role] as { hashes: Record<string, string>; length: number } | undefined;
    assert.ok(entry, `snapshot lists ${role}`);
    const want = fileMeta(bytes)['hashes'] as Record<string, string>;
    assert.equal(entry.hashes['sha256'], want['sha256'], `sha256 of ${role}`);
    if (entry.hashes['sha512'] !== undefined) assert.equal(entry.hashes['sha512'], want['sha512'], `sha512 of ${role}`);
    assert.equal(entry.length, bytes.length, `length of ${role}`);
  }
  return { timestamp, snapshot };
}

function versionOf(bytes: Buffer): number {
  return parseEnvelope(bytes).signed['version'] as number;
}

forEachTrustBackend('POST /v2/<gun>/_trust/tuf/ (publish)', (ctx) => {
  describe('docker-style first publish (server-managed snapshot)', () => {
    it('stores root v1 and targets v2 byte-exact and generates a snapshot and timestamp signed by the keys GET <role>.key returned', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'pub-docker');
      assert.equal((await getRole(s, gun, 'root')).status, 404, 'new GUN has no root');
      const repo = await initRepo(s, gun);
      assert.deepEqual(await currentBytes(s, gun, 'root'), repo.root.bytes);
      assert.deepEqual(await currentBytes(s, gun, 'targets'), repo.targets.bytes);
      const { snapshot } = await checkServerFiles(s, repo, { root: repo.root.bytes, targets: repo.targets.bytes });
      const snap = parseEnvelope(snapshot).signed;
      assert.equal(snap['version'], 1, 'first generated snapshot is v1');
      const snapExpiry = Date.parse(snap['expires'] as string) - Date.now();
      assert.ok(Math.abs(snapExpiry - 3 * 365 * DAY_MS) < DAY_MS, `snapshot expires in 3 years, got ${snap['expires']}`);
      assert.equal(versionOf(await currentBytes(s, gun, 'timestamp')), 1);
    });

    it('GET snapshot.key and timestamp.key return the keys the first root must list', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'pub-keys');
      const repo = await initRepo(s, gun);
      const ts = parseEnvelope(await currentBytes(s, gun, 'timestamp'));
      assert.deepEqual(ts.signatures.map((x) => x.keyid), [repo.serverTimestampKey.id]);
      const snap = parseEnvelope(await currentBytes(s, gun, 'snapshot'));
      assert.deepEqual(snap.signatures.map((x) => x.keyid), [repo.serverSnapshotKey!.id]);
    });

    it('accepts a first root at version 2 (current counts as 1, spec 14.23)', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'pub-root2');
      const repo = await initRepo(s, gun, { dryRun: true });
      const root2 = signFile('root', rootSigned(rootSpecOf(repo, 2)), repo.rootKeys);
      await publishOk(s, gun, [root2, repo.targets]);
      assert.deepEqual(await currentBytes(s, gun, 'root'), root2.bytes);
    });
  });

  describe('notary-style publish (client-held snapshot)', () => {
    it('stores the client snapshot byte-exact and points the generated timestamp at it', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-notary'), { clientSnapshot: true });
      assert.deepEqual(await currentBytes(s, repo.gun, 'snapshot'), repo.snapshot!.bytes);
      await checkServerFiles(s, repo, { root: repo.root.bytes, targets: repo.targets.bytes });
      const t3 = nextTargets(repo, { targets: { v1: targetEntry(randomPayload()) } });
      const snap3 = nextClientSnapshot(repo, [t3]);
      await publishOk(s, repo.gun, [t3, snap3]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets'), t3.bytes);
      assert.deepEqual(await currentBytes(s, repo.gun, 'snapshot'), snap3.bytes);
      const ts = parseEnvelope(await currentBytes(s, repo.gun, 'timestamp')).signed;
      assert.equal(ts['version'], 2);
    });
  });

  describe('consistent reads: by checksum and by version', () => {
    it('serves every role by sha256 of the stored bytes and by version, with the exact bytes', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-consistent'));
      const snapshot = await currentBytes(s, repo.gun, 'snapshot');
      const timestamp = await currentBytes(s, repo.gun, 'timestamp');
      const files: [string, Buffer, number][] = [
        ['root', repo.root.bytes, 1],
        ['targets', repo.targets.bytes, 2],
        ['snapshot', snapshot, 1],
        ['timestamp', timestamp, 1],
      ];
      for (const [role, bytes, version] of files) {
        assert.deepEqual(await bytesOf(await getByChecksum(s, repo.gun, role, sha256Hex(bytes))), bytes, `${role} by checksum`);
        assert.deepEqual(await bytesOf(await getByVersion(s, repo.gun, role, version)), bytes, `${version}.${role}.json`);
      }
      assert.deepEqual(await bytesOf(await getByVersion(s, repo.gun, 'root', '01')), repo.root.bytes, '01.root.json is version 1 (E5)');
    });

    it('sends the "current" cache headers (default max-age) by name and the "consistent" ones by checksum/version (2.5)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-cache'));
      const current = await getRole(s, repo.gun, 'root');
      await bytesOf(current);
      if (IS_REFERENCE) {
        assert.equal(current.headers.get('cache-control'), 'public, max-age=300, s-maxage=300, must-revalidate');
      } else {
        // [R] 2.5: the "current" max-age is configurable; Wharf's default is 0, which sends no-cache + Pragma.
        assert.equal(current.headers.get('cache-control'), 'max-age=0, no-cache, no-store');
        assert.equal(current.headers.get('pragma'), 'no-cache');
      }
      assert.ok(current.headers.get('last-modified'), 'Last-Modified on metadata');
      for (const res of [await getByChecksum(s, repo.gun, 'root', repo.root.sha256), await getByVersion(s, repo.gun, 'targets', 2)]) {
        await bytesOf(res);
        assert.equal(res.headers.get('cache-control'), 'public, max-age=2592000, s-maxage=2592000');
        const lastModified = res.headers.get('last-modified');
        assert.ok(lastModified, 'Last-Modified on metadata');
        if (!IS_REFERENCE) {
          // [R] 2.5 / Q11: application/json and an IMF-fixdate; the reference sniffs text/plain and writes "UTC".
          assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
          assert.match(lastModified, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
          assert.ok(Math.abs(Date.parse(lastModified) - Date.now()) < 10 * 60_000, 'Last-Modified is when the version was stored');
        }
      }
    });

    it('keeps a pretty-printed upload byte-exact and lists hashes of the stored bytes in the snapshot (6.4)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-pretty'));
      const signed = targetsSigned({ version: 3, targets: { v1: targetEntry(randomPayload()) } });
      const pretty = signFile('targets', signed, [repo.targetsKey], { signedText: JSON.stringify(signed, null, 2) });
      await publishOk(s, repo.gun, [pretty]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets'), pretty.bytes, 'stored exactly as uploaded');
      assert.deepEqual(await bytesOf(await getByChecksum(s, repo.gun, 'targets', pretty.sha256)), pretty.bytes);
      const meta = parseEnvelope(await currentBytes(s, repo.gun, 'snapshot')).signed['meta'] as JsonObject;
      if (IS_REFERENCE) {
        // [R] Q2: the reference hashes its own re-serialisation, so its snapshot disagrees with the stored bytes.
        assert.notDeepEqual(meta['targets'], fileMeta(pretty.bytes));
      } else {
        assert.deepEqual(meta['targets'], fileMeta(pretty.bytes));
      }
    });
  });

  describe('accepted encodings', () => {
    it('accepts Go-escaped \\u003c \\u003e \\u0026 in the file while the signature covers the raw characters (11.1)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-escape'));
      const signed = targetsSigned({ version: 3, targets: { 'a<b>&c-é': targetEntry(randomPayload()) } });
      const text = canonicalJson(signed).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
      const file = signFile('targets', signed, [repo.targetsKey], { signedText: text });
      await publishOk(s, repo.gun, [file]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets'), file.bytes);
    });

    it('accepts object keys in UTF-8 byte order with astral characters (11.7.2)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-utf8'));
      const payload = targetEntry(randomPayload());
      const file = nextTargets(repo, { targets: { '\u{1F600}': payload, '\uFF5E': payload, 'caf\u00e9': payload } });
      await publishOk(s, repo.gun, [file]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets'), file.bytes);
    });

    it('accepts method "ECDSA" in upper case (14.14), an RFC 3339 offset in expires, and preserves unknown fields', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-case'));
      const signed = targetsSigned({ version: 3, expires: '2031-05-01T12:00:00+02:00' });
      signed['x-extra'] = { note: 'kept' };
      const file = signFile('targets', signed, [repo.targetsKey], { sign: { method: 'ECDSA' } });
      await publishOk(s, repo.gun, [file]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets'), file.bytes);
    });

    for (const keytype of ['ed25519', 'rsa'] as const) {
      it(`accepts a targets key of type ${keytype} (method ${keytype === 'rsa' ? 'rsapss, salt 32' : 'eddsa'})`, async () => {
        const s = ctx.server;
        const repo = await initRepo(s, uniqueGun(s, `pub-${keytype}`), { targetsKey: generateKey(keytype) });
        assert.deepEqual(await currentBytes(s, repo.gun, 'targets'), repo.targets.bytes);
        await publishOk(s, repo.gun, [nextTargets(repo, { targets: { v1: targetEntry(randomPayload()) } })]);
      });
    }
  });

  describe('delegations', () => {
    it('publishes targets/releases under its whole name and lists it in the generated snapshot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-deleg'));
      const releasesKey = generateKey('ecdsa');
      const t3 = nextTargets(repo, { delegations: [{ name: 'targets/releases', keys: [releasesKey] }] });
      await publishOk(s, repo.gun, [t3]);
      const rel = signFile('targets/releases', targetsSigned({ version: 1, targets: { 'v1.0': targetEntry(randomPayload(), { sha512: true }) } }), [releasesKey]);
      await publishOk(s, repo.gun, [rel]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets/releases'), rel.bytes);
      assert.deepEqual(await bytesOf(await getByChecksum(s, repo.gun, 'targets/releases', rel.sha256)), rel.bytes);
      assert.deepEqual(await bytesOf(await getByVersion(s, repo.gun, 'targets/releases', 1)), rel.bytes);
      const { snapshot } = await checkServerFiles(s, { ...repo, targets: t3 }, { root: repo.root.bytes, targets: t3.bytes, 'targets/releases': rel.bytes });
      assert.equal(versionOf(snapshot), 3, 'one snapshot per publish');
    });

    it('publishes a nested delegation and its parent in one request (processed shallowest first)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-nested'));
      const aKey = generateKey('ecdsa');
      const bKey = generateKey('ed25519');
      const t3 = nextTargets(repo, { delegations: [{ name: 'targets/a', keys: [aKey], paths: ['lib/'] }] });
      const a = signFile('targets/a', targetsSigned({ version: 1, delegations: [{ name: 'targets/a/b', keys: [bKey], paths: ['lib/b/'] }] }), [aKey]);
      const b = signFile('targets/a/b', targetsSigned({ version: 1, targets: { 'lib/b/x': targetEntry(randomPayload()) } }), [bKey]);
      await publishOk(s, repo.gun, [b, a, t3]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets/a/b'), b.bytes);
      await checkServerFiles(s, { ...repo, targets: t3 }, { targets: t3.bytes, 'targets/a': a.bytes, 'targets/a/b': b.bytes });
    });

    it('accepts keyids null on a delegation (docker after `signer remove`) and a threshold above the key count', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-null'));
      const signed = targetsSigned({ version: 3, delegations: [{ name: 'targets/alice', keys: [], threshold: 3 }] });
      ((signed['delegations'] as JsonObject)['roles'] as JsonObject[])[0]!['keyids'] = null;
      await publishOk(s, repo.gun, [signFile('targets', signed, [repo.targetsKey])]);
    });
  });

  describe('rotation', () => {
    it('rotates the targets key: root v2 + targets v3 signed by the new key; the old key no longer verifies', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-rot-targets'));
      const newKey = generateKey('ecdsa');
      const root2 = signFile('root', rootSigned({ ...rootSpecOf(repo, 2), targets: { keys: [newKey] } }), repo.rootKeys);
      const t3 = signFile('targets', targetsSigned({ version: 3 }), [newKey]);
      await publishOk(s, repo.gun, [root2, t3]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'root'), root2.bytes);
      await checkServerFiles(s, repo, { root: root2.bytes, targets: t3.bytes });
      const stale = signFile('targets', targetsSigned({ version: 4 }), [repo.targetsKey]);
      await expectTrustError(await publish(s, repo.gun, [stale]), 400, 'INVALID_UPDATE', {
        name: 'ErrBadTargets',
        msg: 'valid signatures did not meet threshold for targets',
      });
    });

    it('rotates the root through a chain v1 → v2 → v3, each signed by the previous and the new root key; every version stays readable', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-rot-root'));
      const k2 = await generateRootKey({ cn: repo.gun });
      const k3 = await generateRootKey({ cn: repo.gun, algorithm: 'rsa' });
      const root2 = signFile('root', rootSigned({ ...rootSpecOf(repo, 2), root: { keys: [k2] }, extraKeys: repo.rootKeys }), [...repo.rootKeys, k2]);
      await publishOk(s, repo.gun, [root2]);
      const root3 = signFile('root', rootSigned({ ...rootSpecOf(repo, 3), root: { keys: [k3] }, extraKeys: [k2] }), [k2, k3]);
      await publishOk(s, repo.gun, [root3]);
      assert.deepEqual(await currentBytes(s, repo.gun, 'root'), root3.bytes);
      for (const [v, f] of [[1, repo.root], [2, root2], [3, root3]] as const) {
        assert.deepEqual(await bytesOf(await getByVersion(s, repo.gun, 'root', v)), f.bytes, `${v}.root.json`);
        assert.deepEqual(await bytesOf(await getByChecksum(s, repo.gun, 'root', f.sha256)), f.bytes);
      }
      await checkServerFiles(s, repo, { root: root3.bytes, targets: repo.targets.bytes });
    });
  });

  describe('re-signing', () => {
    it('an empty multipart body gives 200 and re-signs snapshot and timestamp with version+1 (6.1, Q6)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'pub-empty'));
      const before = parseEnvelope(await currentBytes(s, repo.gun, 'snapshot')).signed;
      await publishOk(s, repo.gun, []);
      const { snapshot, timestamp } = await checkServerFiles(s, repo, { root: repo.root.bytes, targets: repo.targets.bytes });
      assert.equal(versionOf(snapshot), (before['version'] as number) + 1);
      assert.equal(versionOf(timestamp), 2);
      assert.deepEqual((parseEnvelope(snapshot).signed['meta'] as JsonObject)['targets'], (before['meta'] as JsonObject)['targets']);
    });
  });
});
