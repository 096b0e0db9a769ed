// Server-managed keys: GET <role>.key (E7) and POST <role>.key (E8), spec 3 and 7.4.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IS_REFERENCE,
  bytesOf,
  currentBytes,
  expectTrustError,
  forEachTrustBackend,
  getServerKey,
  initRepo,
  nextTargets,
  publishOk,
  rootSpecOf,
  rotateServerKey,
  tufPath,
  uniqueGun,
} from '../helpers/trust-api.ts';
import { countValidSignatures, parseEnvelope, publicKeyFromJson, rootSigned, signFile } from '../helpers/tuf.ts';

forEachTrustBackend('GET/POST /v2/<gun>/_trust/tuf/<role>.key', (ctx) => {
  describe('E7 GET <role>.key', () => {
    it('answers 200 with {"keytype","keyval":{"public","private":null}} and no cache headers', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'keys-shape');
      for (const role of ['timestamp', 'snapshot'] as const) {
        const res = await s.fetch(tufPath(gun, `${role}.key`));
        const body = JSON.parse((await bytesOf(res)).toString('utf8')) as Record<string, unknown>;
        assert.deepEqual(Object.keys(body).sort(), ['keytype', 'keyval']);
        const key = publicKeyFromJson(body);
        assert.equal(res.headers.get('cache-control'), null, 'key endpoints carry no cache headers (2.5)');
        // [R] 7.4: Wharf makes ECDSA P-256 keys; the reference's local signer makes ed25519 keys.
        assert.equal(key.keytype, IS_REFERENCE ? 'ed25519' : 'ecdsa');
        if (!IS_REFERENCE) assert.equal(Buffer.from(key.public, 'base64').length, 91, 'base64 of a P-256 SubjectPublicKeyInfo');
      }
    });

    it('[R] returns the same pending key for repeated and concurrent calls before a root exists (Q5)', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'keys-idem');
      const first = await getServerKey(s, gun, 'timestamp');
      const again = await getServerKey(s, gun, 'timestamp');
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => getServerKey(s, gun, 'timestamp')));
      if (IS_REFERENCE) {
        // The reference mints a new key on every call.
        assert.notEqual(first.id, again.id);
        return;
      }
      for (const k of [again, ...concurrent]) assert.equal(k.id, first.id);
      const snapshot = await getServerKey(s, gun, 'snapshot');
      assert.notEqual(snapshot.id, first.id, 'snapshot and timestamp keys differ');
    });

    it('gives each GUN its own keys', async () => {
      const s = ctx.server;
      const a = await getServerKey(s, uniqueGun(s, 'keys-a'), 'timestamp');
      const b = await getServerKey(s, uniqueGun(s, 'keys-b'), 'timestamp');
      assert.notEqual(a.id, b.id);
    });

    it('keeps an earlier returned key usable: a first root listing it is accepted after further GETs', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'keys-early');
      const repo = await initRepo(s, gun, { dryRun: true });
      await getServerKey(s, gun, 'timestamp');
      await getServerKey(s, gun, 'snapshot');
      await publishOk(s, gun, [repo.root, repo.targets]);
      assert.equal(countValidSignatures(await currentBytes(s, gun, 'timestamp'), [repo.serverTimestampKey]), 1);
    });

    it('once a root exists, returns the root-listed key the server holds', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'keys-after-root'));
      assert.equal((await getServerKey(s, repo.gun, 'timestamp')).id, repo.serverTimestampKey.id);
      assert.equal((await getServerKey(s, repo.gun, 'snapshot')).id, repo.serverSnapshotKey!.id);
    });

    it('targets.key and root.key do not exist → 404 METADATA_NOT_FOUND', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'keys-none'));
      for (const role of ['targets', 'root']) await expectTrustError(await s.fetch(tufPath(repo.gun, `${role}.key`)), 404, 'METADATA_NOT_FOUND');
    });
  });

  describe('E8 POST <role>.key (rotate)', () => {
    it('returns a new timestamp key that is used only once a root lists it; until then the old key signs', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'keys-rot-ts'));
      const rotated = await rotateServerKey(s, repo.gun, 'timestamp');
      assert.notEqual(rotated.id, repo.serverTimestampKey.id);
      assert.equal((await getServerKey(s, repo.gun, 'timestamp')).id, repo.serverTimestampKey.id, 'GET still returns the root-listed key');
      const t3 = nextTargets(repo);
      await publishOk(s, repo.gun, [t3]);
      let ts = await currentBytes(s, repo.gun, 'timestamp');
      assert.deepEqual(parseEnvelope(ts).signatures.map((x) => x.keyid), [repo.serverTimestampKey.id], 'the current root\'s key still signs');
      const root2 = signFile('root', rootSigned({ ...rootSpecOf(repo, 2), timestamp: { keys: [rotated] } }), repo.rootKeys);
      await publishOk(s, repo.gun, [root2]);
      ts = await currentBytes(s, repo.gun, 'timestamp');
      assert.deepEqual(parseEnvelope(ts).signatures.map((x) => x.keyid), [rotated.id], 'only the newly listed key signs');
      assert.equal(countValidSignatures(ts, [rotated]), 1);
      assert.equal((await getServerKey(s, repo.gun, 'timestamp')).id, rotated.id);
    });

    it('moves a client-held snapshot to the server (notary key rotate snapshot -r): root v2 alone, then the server signs snapshots', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'keys-rot-snap'), { clientSnapshot: true });
      const serverSnap = await rotateServerKey(s, repo.gun, 'snapshot');
      const root2 = signFile('root', rootSigned({ ...rootSpecOf(repo, 2), snapshot: { keys: [serverSnap] } }), repo.rootKeys);
      await publishOk(s, repo.gun, [root2]);
      const snap = await currentBytes(s, repo.gun, 'snapshot');
      assert.equal(countValidSignatures(snap, [serverSnap]), 1, 'server snapshot signed by the rotated key');
      assert.equal(parseEnvelope(snap).signed['version'], 3, 'previous client snapshot v2 + 1');
      await publishOk(s, repo.gun, [nextTargets(repo)]);
      assert.equal(countValidSignatures(await currentBytes(s, repo.gun, 'snapshot'), [serverSnap]), 1);
    });

    it('accepts an empty body (Content-Length: 0) and returns the public-key JSON without cache headers', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'keys-rot-shape'));
      const res = await s.fetch(tufPath(repo.gun, 'snapshot.key'), { method: 'POST', headers: { 'content-length': '0' } });
      const key = publicKeyFromJson(JSON.parse((await bytesOf(res)).toString('utf8')));
      assert.notEqual(key.id, repo.serverSnapshotKey!.id);
      assert.equal(res.headers.get('cache-control'), null);
    });
  });
});
