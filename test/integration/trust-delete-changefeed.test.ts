// DELETE /v2/<gun>/_trust/tuf/ (E9, spec 8) and the changefeeds (E10, E11, spec 9).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IS_REFERENCE,
  changefeed,
  currentBytes,
  deleteTrust,
  expectTrustError,
  forEachTrustBackend,
  getByChecksum,
  getByVersion,
  getRole,
  getServerKey,
  initRepo,
  nextTargets,
  publishOk,
  uniqueGun,
  type ChangeRecord,
  type TrustServer,
} from '../helpers/trust-api.ts';
import { pushImage } from '../helpers/oci.ts';
import { BASE_ROLES, sha256Hex } from '../helpers/tuf.ts';
import type { Response } from 'undici';

interface Feed {
  count: number;
  records: ChangeRecord[];
}

async function feedOf(res: Response): Promise<Feed> {
  const text = await res.text();
  assert.equal(res.status, 200, `changefeed: ${res.status} ${text.slice(0, 400)}`);
  const feed = JSON.parse(text) as Feed;
  assert.equal(feed.count, feed.records.length);
  return feed;
}

async function gunFeed(s: TrustServer, gun: string, query: Record<string, string> = { records: '0' }): Promise<ChangeRecord[]> {
  return (await feedOf(await changefeed(s, gun, query))).records;
}

async function expectEmptyOk(res: Response): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, 200, `${res.status} ${text.slice(0, 300)}`);
  assert.equal(text, '');
}

forEachTrustBackend('DELETE /v2/<gun>/_trust/tuf/ and changefeeds', (ctx) => {
  describe('E9 DELETE', () => {
    it('removes every version of every role; all reads 404; a repeat DELETE is 200 too', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'del'));
      const t3 = nextTargets(repo);
      await publishOk(s, repo.gun, [t3]);
      await expectEmptyOk(await deleteTrust(s, repo.gun));
      for (const role of BASE_ROLES) await expectTrustError(await getRole(s, repo.gun, role), 404, 'METADATA_NOT_FOUND');
      await expectTrustError(await getByVersion(s, repo.gun, 'root', 1), 404, 'METADATA_NOT_FOUND');
      await expectTrustError(await getByVersion(s, repo.gun, 'targets', 2), 404, 'METADATA_NOT_FOUND');
      await expectTrustError(await getByChecksum(s, repo.gun, 'targets', t3.sha256), 404, 'METADATA_NOT_FOUND');
      await expectEmptyOk(await deleteTrust(s, repo.gun));
    });

    it('keeps the images of the repository: only trust data goes', async (t) => {
      if (IS_REFERENCE) return t.skip('the reference notary-server serves no images');
      const s = ctx.server;
      const gun = uniqueGun(s, 'del-images');
      const repoName = gun.slice(gun.indexOf('/') + 1);
      const image = await pushImage(s, repoName, { reference: 'v1' });
      await initRepo(s, gun);
      await expectEmptyOk(await deleteTrust(s, gun));
      const manifest = await s.fetch(`/v2/${repoName}/manifests/v1`, { headers: { accept: image.manifest.mediaType } });
      assert.equal(manifest.status, 200);
      assert.deepEqual(Buffer.from(await manifest.arrayBuffer()), image.manifest.bytes);
      assert.equal((await s.fetch(`/v2/${repoName}/blobs/${image.layers[0]!.digest}`, { method: 'HEAD' })).status, 200);
    });

    it('leaves the GUN uninitialised: new server keys are minted and a fresh root v1 publishes again', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'del-reinit');
      const first = await initRepo(s, gun);
      await expectEmptyOk(await deleteTrust(s, gun));
      const again = await initRepo(s, gun);
      assert.notEqual(again.serverTimestampKey.id, first.serverTimestampKey.id, 'old server keys are not handed out again (8)');
      assert.deepEqual(await currentBytes(s, gun, 'root'), again.root.bytes);
      assert.equal((await getServerKey(s, gun, 'timestamp')).id, again.serverTimestampKey.id);
    });

    it('[R] deletes the exact GUN only: deleting a/b keeps a/bc', async () => {
      const s = ctx.server;
      const base = uniqueGun(s, 'del-exact');
      const sibling = await initRepo(s, `${base}c`);
      await initRepo(s, base);
      await expectEmptyOk(await deleteTrust(s, base));
      const res = await getRole(s, sibling.gun, 'root');
      if (IS_REFERENCE) {
        // Q12: the reference's memory store deletes by prefix.
        await expectTrustError(res, 404, 'METADATA_NOT_FOUND');
      } else {
        assert.equal(res.status, 200);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), sibling.root.bytes);
      }
    });
  });

  describe('E10 changefeed of one GUN', () => {
    it('lists one update per stored timestamp (version, sha256 of its bytes) and one deletion record', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'feed'));
      const ts1 = await currentBytes(s, repo.gun, 'timestamp');
      await publishOk(s, repo.gun, [nextTargets(repo)]);
      const ts2 = await currentBytes(s, repo.gun, 'timestamp');
      await expectEmptyOk(await deleteTrust(s, repo.gun));
      await expectEmptyOk(await deleteTrust(s, repo.gun));
      const records = await gunFeed(s, repo.gun);
      assert.deepEqual(records.map((r) => [r.GUN, r.Category, r.Version, r.SHA256]), [
        [repo.gun, 'update', 1, sha256Hex(ts1)],
        [repo.gun, 'update', 2, sha256Hex(ts2)],
        [repo.gun, 'deletion', 0, ''],
      ], 'a repeat DELETE of nothing writes no record');
      const ids = records.map((r) => Number(r.ID));
      for (const r of records) {
        assert.equal(typeof r.ID, 'string');
        assert.match(r.ID, /^\d+$/);
        assert.ok(!Number.isNaN(Date.parse(r.CreatedAt)), `CreatedAt ${r.CreatedAt}`);
        assert.deepEqual(Object.keys(r).sort(), ['Category', 'CreatedAt', 'GUN', 'ID', 'SHA256', 'Version']);
      }
      assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, 'IDs increase');
    });

    it('pages forward after change_id, backward with negative records, and newest-first selection with change_id=-1 (always oldest first)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'feed-page'));
      let targets = repo.targets;
      for (let i = 0; i < 3; i += 1) {
        targets = nextTargets({ ...repo, targets });
        await publishOk(s, repo.gun, [targets]);
      }
      const all = await gunFeed(s, repo.gun);
      assert.deepEqual(all.map((r) => r.Version), [1, 2, 3, 4]);
      const ids = all.map((r) => r.ID);
      assert.deepEqual((await gunFeed(s, repo.gun, { change_id: '0', records: '2' })).map((r) => r.ID), ids.slice(0, 2));
      assert.deepEqual((await gunFeed(s, repo.gun, { change_id: ids[1]!, records: '10' })).map((r) => r.ID), ids.slice(2));
      assert.deepEqual((await gunFeed(s, repo.gun, { change_id: '-1', records: '2' })).map((r) => r.ID), ids.slice(2));
      assert.deepEqual((await gunFeed(s, repo.gun, { change_id: '-1', records: '-2' })).map((r) => r.ID), ids.slice(2));
      assert.deepEqual((await gunFeed(s, repo.gun, { change_id: ids[3]!, records: '-2' })).map((r) => r.ID), ids.slice(1, 3));
      assert.deepEqual((await gunFeed(s, repo.gun, { records: '1' })).map((r) => r.ID), ids.slice(0, 1), 'change_id defaults to 0');
    });

    it('is empty for a GUN without trust data', async () => {
      const s = ctx.server;
      assert.deepEqual(await gunFeed(s, uniqueGun(s, 'feed-none')), []);
    });
  });

  describe('E11 changefeed of all GUNs', () => {
    it('interleaves the records of every GUN in ID order', async () => {
      const s = ctx.server;
      const a = await initRepo(s, uniqueGun(s, 'feed-all-a'));
      const b = await initRepo(s, uniqueGun(s, 'feed-all-b'));
      await publishOk(s, a.gun, [nextTargets(a)]);
      const newest = (await feedOf(await changefeed(s, undefined, { change_id: '-1', records: '3' }))).records;
      assert.deepEqual(newest.map((r) => [r.GUN, r.Version]), [[a.gun, 1], [b.gun, 1], [a.gun, 2]]);
      const after = (await feedOf(await changefeed(s, undefined, { change_id: newest[0]!.ID, records: '10' }))).records;
      assert.deepEqual(after.map((r) => r.ID), newest.slice(1).map((r) => r.ID));
    });
  });

  describe('parameter errors → 400 INVALID_PARAMETERS', () => {
    for (const scope of ['one GUN', 'all GUNs'] as const) {
      it(`${scope}: records missing or not an integer (string detail); change_id not an integer (detail {})`, async () => {
        const s = ctx.server;
        const gun = scope === 'one GUN' ? uniqueGun(s, 'feed-bad') : undefined;
        const queries: Record<string, string>[] = [{}, { change_id: '0' }, { records: 'abc' }, { records: '1.5' }];
        for (const query of queries) {
          const err = await expectTrustError(await changefeed(s, gun, query), 400, 'INVALID_PARAMETERS');
          assert.equal(typeof err.detail, 'string', `detail for ${JSON.stringify(query)}: ${JSON.stringify(err.detail)}`);
          assert.match(err.detail as string, /^invalid records parameter/);
        }
        await expectTrustError(await changefeed(s, gun, { change_id: 'abc', records: '10' }), 400, 'INVALID_PARAMETERS', { detail: {} });
      });
    }
  });
});
