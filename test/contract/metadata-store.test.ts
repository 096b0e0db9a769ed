import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import pg from 'pg';
import { digestOf, type Digest } from '../../src/oci/digest.ts';
import { isTag, parseRepoName, type RepoName, type Tag } from '../../src/oci/names.ts';
import type { UploadId } from '../../src/storage/blob-store.ts';
import type { ManifestInput, MetadataStore } from '../../src/storage/metadata-store.ts';
import { openSqlMetadataStore } from '../../src/storage/sql/open.ts';
import { forEachStore } from '../helpers/metadata-drivers.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { tmpDir } from '../helpers/tmp.ts';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const FUTURE = Date.now() + 24 * 3600 * 1000;

const repo = (name: string): RepoName => parseRepoName(name);
const blob = (name: string): Digest => digestOf(`blob ${name}`);
const upload = (id: string): UploadId => id as UploadId;
function tag(value: string): Tag {
  assert.ok(isTag(value), value);
  return value;
}

function manifest(repoName: RepoName, name: string, extra: Partial<ManifestInput> = {}): ManifestInput {
  const bytes = Buffer.from(`{ "name": ${JSON.stringify(name)},\n  "exact": "bytes" }`);
  return { repo: repoName, digest: digestOf(bytes), mediaType: MANIFEST_TYPE, bytes, blobRefs: [], manifestRefs: [], ...extra };
}

/** Waits for the clock to move on; returns a time later than every write made before the call. */
async function tick(): Promise<number> {
  const start = Date.now();
  while (Date.now() === start) await yieldToLoop();
  return Date.now();
}

function byteOrder(values: string[]): string[] {
  return [...values].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function allPages(fetch: (last: string | undefined) => Promise<string[] | undefined>): Promise<string[][]> {
  const pages: string[][] = [];
  let last: string | undefined;
  for (;;) {
    const page = await fetch(last);
    assert.ok(page);
    if (page.length === 0) return pages;
    pages.push(page);
    last = page.at(-1);
  }
}

forEachStore('MetadataStore', (store) => {

  /** A blob known to the registry and linked into the repository. */
  async function linkedBlob(repoName: RepoName, name: string, size = 10): Promise<Digest> {
    const digest = blob(name);
    await store.blobs.touch(digest, size);
    assert.equal(await store.blobs.link(repoName, digest), true);
    return digest;
  }

  describe('ping', () => {
    it('answers', async () => {
      await store.ping();
    });
  });

  describe('repositories', () => {
    it('knows no repository in an empty store', async () => {
      assert.deepEqual(await store.repositories.list({ limit: 10 }), []);
      assert.equal(await store.repositories.exists(repo('library/alpine')), false);
    });

    it('creates a repository with its first blob link, and keeps it when the link goes', async () => {
      const r = repo('library/alpine');
      const digest = await linkedBlob(r, 'layer');
      assert.equal(await store.repositories.exists(r), true);
      assert.equal(await store.blobs.unlink(r, digest), true);
      assert.equal(await store.repositories.exists(r), true);
      assert.deepEqual(await store.repositories.list({ limit: 10 }), ['library/alpine']);
    });

    it('creates a repository with its first manifest, and keeps it when the manifest goes', async () => {
      const r = repo('app');
      const m = manifest(r, 'm');
      assert.deepEqual(await store.manifests.put(m), { missing: [] });
      assert.equal(await store.repositories.exists(r), true);
      assert.equal(await store.manifests.delete(r, m.digest), true);
      assert.equal(await store.repositories.exists(r), true);
    });

    it('lists names in byte order, page by page after `last`', async () => {
      const names = ['b', 'a0', 'a_c', 'a.c', 'a-c', 'a/c', 'a', 'ab/c/d', 'z'];
      await store.blobs.touch(blob('shared'), 1);
      for (const name of names) assert.equal(await store.blobs.link(repo(name), blob('shared')), true);
      const expected = byteOrder(names);
      assert.deepEqual(await store.repositories.list({ limit: 100 }), expected);
      const pages = await allPages((last) => store.repositories.list({ last, limit: 4 }));
      assert.deepEqual(pages, [expected.slice(0, 4), expected.slice(4, 8), expected.slice(8)]);
      assert.deepEqual(await store.repositories.list({ last: 'a/', limit: 2 }), expected.filter((n) => n > 'a/').slice(0, 2));
      assert.deepEqual(await store.repositories.list({ limit: 0 }), []);
    });
  });

  describe('blobs', () => {
    it('knows nothing of an untouched blob', async () => {
      const digest = blob('x');
      assert.equal(await store.blobs.size(digest), undefined);
      assert.equal(await store.garbage.isKnown(digest), false);
      assert.deepEqual(await store.blobs.holders(digest, 10), []);
    });

    it('records a touched blob, idempotently', async () => {
      const digest = blob('x');
      await store.blobs.touch(digest, 1234);
      await store.blobs.touch(digest, 1234);
      assert.equal(await store.blobs.size(digest), 1234);
      assert.equal(await store.garbage.isKnown(digest), true);
    });

    it('refuses to link an unknown blob and writes nothing', async () => {
      const r = repo('app');
      assert.equal(await store.blobs.link(r, blob('nope')), false);
      assert.equal(await store.blobs.linked(r, blob('nope')), undefined);
      assert.equal(await store.repositories.exists(r), false);
      assert.equal(await store.garbage.isKnown(blob('nope')), false);
    });

    it('links idempotently and reports the size only in the linked repository', async () => {
      const r = repo('app');
      const digest = await linkedBlob(r, 'layer', 77);
      assert.equal(await store.blobs.link(r, digest), true);
      assert.deepEqual(await store.blobs.linked(r, digest), { size: 77 });
      assert.equal(await store.blobs.linked(repo('other'), digest), undefined);
      assert.deepEqual(await store.blobs.holders(digest, 10), ['app']);
    });

    it('unlinks once, keeping the blob known', async () => {
      const r = repo('app');
      const digest = await linkedBlob(r, 'layer');
      assert.equal(await store.blobs.unlink(r, digest), true);
      assert.equal(await store.blobs.unlink(r, digest), false);
      assert.equal(await store.blobs.linked(r, digest), undefined);
      assert.equal(await store.blobs.size(digest), 10);
      assert.equal(await store.blobs.unlink(repo('other'), blob('never')), false);
    });

    it('lists holders in name order, up to the limit', async () => {
      const digest = blob('shared');
      await store.blobs.touch(digest, 5);
      for (const name of ['c', 'a/b', 'a-b', 'b']) await store.blobs.link(repo(name), digest);
      assert.deepEqual(await store.blobs.holders(digest, 10), byteOrder(['c', 'a/b', 'a-b', 'b']));
      assert.deepEqual(await store.blobs.holders(digest, 2), byteOrder(['c', 'a/b', 'a-b', 'b']).slice(0, 2));
    });
  });

  describe('manifests', () => {
    it('returns undefined for an absent manifest', async () => {
      assert.equal(await store.manifests.get(repo('app'), digestOf('nothing')), undefined);
    });

    it('stores the exact bytes, media type and creation time', async () => {
      const r = repo('app');
      const config = await linkedBlob(r, 'config');
      const layer = await linkedBlob(r, 'layer');
      const m = manifest(r, 'm', { blobRefs: [config, layer, layer] });
      const before = Date.now();
      assert.deepEqual(await store.manifests.put(m), { missing: [] });
      const stored = await store.manifests.get(r, m.digest);
      assert.ok(stored);
      assert.equal(stored.digest, m.digest);
      assert.equal(stored.mediaType, MANIFEST_TYPE);
      assert.ok(stored.bytes.equals(m.bytes));
      assert.ok(stored.createdAt >= before && stored.createdAt <= Date.now());
      assert.equal(await store.manifests.get(repo('other'), m.digest), undefined);
    });

    it('points the tag at the manifest in the same put', async () => {
      const r = repo('app');
      const m = manifest(r, 'm', { tag: tag('v1') });
      await store.manifests.put(m);
      assert.equal(await store.tags.resolve(r, tag('v1')), m.digest);
    });

    it('writes nothing when references are missing, and returns them sorted', async () => {
      const r = repo('app');
      const linked = await linkedBlob(r, 'linked');
      const old = manifest(r, 'old', { tag: tag('latest') });
      await store.manifests.put(old);
      const mark = await tick();
      const missingBlobs = [blob('m2'), blob('m1')];
      const child = digestOf('absent child');
      const m = manifest(r, 'new', { blobRefs: [linked, ...missingBlobs], manifestRefs: [child], tag: tag('latest') });
      const result = await store.manifests.put(m);
      assert.deepEqual(result.missing, [...missingBlobs, child].sort());
      assert.equal(await store.manifests.get(r, m.digest), undefined);
      assert.equal(await store.tags.resolve(r, tag('latest')), old.digest);
      assert.deepEqual(await store.tags.list(r, { limit: 10 }), ['latest']);
      // The refresh of `linked` was rolled back too, and no manifest_refs row protects it.
      assert.deepEqual(await store.garbage.unusedLinks(mark, false), [{ repo: r, digest: linked }]);
    });

    it('creates no repository when a put into a new repository fails', async () => {
      const r = repo('fresh');
      assert.deepEqual((await store.manifests.put(manifest(r, 'm', { blobRefs: [blob('x')] }))).missing, [blob('x')]);
      assert.equal(await store.repositories.exists(r), false);
      assert.equal(await store.tags.list(r, { limit: 10 }), undefined);
    });

    it('counts only blobs linked into this repository', async () => {
      const elsewhere = await linkedBlob(repo('other'), 'layer');
      const m = manifest(repo('app'), 'm', { blobRefs: [elsewhere] });
      assert.deepEqual(await store.manifests.put(m), { missing: [elsewhere] });
    });

    it('stores an index whose children are manifests of the repository', async () => {
      const r = repo('app');
      const amd64 = manifest(r, 'amd64');
      const arm64 = manifest(r, 'arm64');
      const index = { ...manifest(r, 'index', { manifestRefs: [amd64.digest, arm64.digest], tag: tag('multi') }), mediaType: INDEX_TYPE };
      assert.deepEqual((await store.manifests.put(index)).missing, [amd64.digest, arm64.digest].sort());
      await store.manifests.put(amd64);
      assert.deepEqual((await store.manifests.put(index)).missing, [arm64.digest]);
      await store.manifests.put(manifest(repo('other'), 'arm64'));
      assert.deepEqual((await store.manifests.put(index)).missing, [arm64.digest]);
      await store.manifests.put(arm64);
      assert.deepEqual(await store.manifests.put(index), { missing: [] });
      assert.equal((await store.manifests.get(r, index.digest))?.mediaType, INDEX_TYPE);
      assert.equal(await store.tags.resolve(r, tag('multi')), index.digest);
    });

    it('re-puts the same digest idempotently, moving only the tag', async () => {
      const r = repo('app');
      const a = manifest(r, 'a', { tag: tag('latest') });
      const b = manifest(r, 'b', { tag: tag('latest') });
      await store.manifests.put(a);
      const first = await store.manifests.get(r, a.digest);
      await tick();
      await store.manifests.put(b);
      assert.equal(await store.tags.resolve(r, tag('latest')), b.digest);
      assert.deepEqual(await store.manifests.put(a), { missing: [] });
      assert.equal(await store.tags.resolve(r, tag('latest')), a.digest);
      assert.deepEqual(await store.manifests.get(r, a.digest), first);
      await store.manifests.put({ ...b, tag: undefined });
      assert.equal(await store.tags.resolve(r, tag('latest')), a.digest);
    });

    it('refreshes the links it relies on', async () => {
      const r = repo('app');
      const layer = await linkedBlob(r, 'layer');
      const mark = await tick();
      const m = manifest(r, 'm', { blobRefs: [layer] });
      await store.manifests.put(m);
      await store.manifests.delete(r, m.digest);
      assert.deepEqual(await store.garbage.unusedLinks(mark, false), []);
      assert.deepEqual(await store.garbage.unusedLinks(FUTURE, false), [{ repo: r, digest: layer }]);
    });

    it('deletes a manifest with every tag pointing at it, once', async () => {
      const r = repo('app');
      const layer = await linkedBlob(r, 'layer');
      const a = manifest(r, 'a', { blobRefs: [layer], tag: tag('v1') });
      const b = manifest(r, 'b', { tag: tag('v2') });
      await store.manifests.put(a);
      await store.manifests.put({ ...a, tag: tag('latest') });
      await store.manifests.put(b);
      assert.equal(await store.manifests.delete(r, a.digest), true);
      assert.equal(await store.manifests.get(r, a.digest), undefined);
      assert.equal(await store.tags.resolve(r, tag('v1')), undefined);
      assert.equal(await store.tags.resolve(r, tag('latest')), undefined);
      assert.deepEqual(await store.tags.list(r, { limit: 10 }), ['v2']);
      assert.ok(await store.manifests.get(r, b.digest));
      assert.equal(await store.manifests.delete(r, a.digest), false);
      assert.equal(await store.manifests.delete(repo('other'), b.digest), false);
      // Its references went too: the layer link is now unused.
      assert.deepEqual(await store.garbage.unusedLinks(FUTURE, false), [{ repo: r, digest: layer }]);
    });

    it('lists referrers of a subject by digest, optionally of one artifact type', async () => {
      const r = repo('app');
      const subject = manifest(r, 'subject');
      await store.manifests.put(subject);
      const sbom = manifest(r, 'sbom', { subject: subject.digest, artifactType: 'application/spdx+json', annotations: '{"a":"1"}' });
      const sig = manifest(r, 'sig', { subject: subject.digest, artifactType: 'application/vnd.cncf.notary.signature' });
      const plain = manifest(r, 'plain', { subject: subject.digest });
      for (const m of [sbom, sig, plain]) assert.deepEqual(await store.manifests.put(m), { missing: [] });
      await store.manifests.put(manifest(repo('other'), 'elsewhere', { subject: subject.digest }));

      const record = (m: ManifestInput) => ({
        digest: m.digest,
        mediaType: m.mediaType,
        size: m.bytes.length,
        ...(m.artifactType === undefined ? {} : { artifactType: m.artifactType }),
        ...(m.annotations === undefined ? {} : { annotations: m.annotations }),
      });
      const all = [sbom, sig, plain].sort((a, b) => (a.digest < b.digest ? -1 : 1)).map(record);
      assert.deepEqual(await store.manifests.referrers(r, subject.digest), all);
      assert.deepEqual(await store.manifests.referrers(r, subject.digest, 'application/spdx+json'), [record(sbom)]);
      assert.deepEqual(await store.manifests.referrers(r, subject.digest, 'text/plain'), []);
      assert.deepEqual(await store.manifests.referrers(r, digestOf('unknown subject')), []);
    });

    it('lists referrers whose subject has not been pushed', async () => {
      const r = repo('app');
      const absent = digestOf('absent subject');
      const ref = manifest(r, 'ref', { subject: absent, artifactType: 'x/y' });
      await store.manifests.put(ref);
      assert.deepEqual(await store.manifests.referrers(r, absent), [
        { digest: ref.digest, mediaType: MANIFEST_TYPE, size: ref.bytes.length, artifactType: 'x/y' },
      ]);
    });
  });

  describe('tags', () => {
    it('resolves nothing, and lists nothing for an unknown repository', async () => {
      assert.equal(await store.tags.resolve(repo('app'), tag('latest')), undefined);
      assert.equal(await store.tags.list(repo('app'), { limit: 10 }), undefined);
    });

    it('lists an empty page for a repository without tags', async () => {
      const r = repo('app');
      await store.manifests.put(manifest(r, 'm'));
      assert.deepEqual(await store.tags.list(r, { limit: 10 }), []);
      await linkedBlob(repo('blobs-only'), 'b');
      assert.deepEqual(await store.tags.list(repo('blobs-only'), { limit: 10 }), []);
    });

    it('lists tags in byte order, page by page after `last`', async () => {
      const r = repo('app');
      const m = manifest(r, 'm');
      const names = ['latest', 'Latest', 'v1.0', 'v1-0', 'v1_0', 'V2', '_x', '1', 'a', 'B', 'b'];
      for (const name of names) await store.manifests.put({ ...m, tag: tag(name) });
      await store.manifests.put({ ...manifest(repo('other'), 'm'), tag: tag('other') });
      const expected = byteOrder(names);
      assert.deepEqual(await store.tags.list(r, { limit: 100 }), expected);
      const pages = await allPages((last) => store.tags.list(r, { last, limit: 5 }));
      assert.deepEqual(pages, [expected.slice(0, 5), expected.slice(5, 10), expected.slice(10)]);
      assert.deepEqual(await store.tags.list(r, { last: 'zzz', limit: 5 }), []);
    });

    it('deletes a tag once, keeping the manifest', async () => {
      const r = repo('app');
      const m = manifest(r, 'm', { tag: tag('v1') });
      await store.manifests.put(m);
      assert.equal(await store.tags.delete(r, tag('v1')), true);
      assert.equal(await store.tags.delete(r, tag('v1')), false);
      assert.equal(await store.tags.resolve(r, tag('v1')), undefined);
      assert.ok(await store.manifests.get(r, m.digest));
    });
  });

  describe('uploads', () => {
    it('creates a session at offset 0', async () => {
      const before = Date.now();
      const session = await store.uploads.create(upload('u1'), repo('app'));
      assert.equal(session.id, 'u1');
      assert.equal(session.repo, 'app');
      assert.equal(session.offset, 0);
      assert.equal(session.startedAt, session.updatedAt);
      assert.ok(session.startedAt >= before && session.startedAt <= Date.now());
      assert.deepEqual(await store.uploads.get(upload('u1')), session);
      assert.equal(await store.uploads.get(upload('u2')), undefined);
    });

    it('advances the offset only from the expected value', async () => {
      const created = await store.uploads.create(upload('u1'), repo('app'));
      await tick();
      assert.equal(await store.uploads.advance(upload('u1'), 0, 10), true);
      assert.equal(await store.uploads.advance(upload('u1'), 0, 20), false);
      assert.equal((await store.uploads.get(upload('u1')))?.offset, 10);
      assert.equal(await store.uploads.advance(upload('u1'), 10, 25), true);
      const session = await store.uploads.get(upload('u1'));
      assert.equal(session?.offset, 25);
      assert.equal(session?.startedAt, created.startedAt);
      assert.ok(session.updatedAt > created.updatedAt);
      assert.equal(await store.uploads.advance(upload('nope'), 0, 1), false);
      assert.equal(await store.uploads.get(upload('nope')), undefined);
    });

    it('deletes idempotently', async () => {
      await store.uploads.create(upload('u1'), repo('app'));
      await store.uploads.delete(upload('u1'));
      await store.uploads.delete(upload('u1'));
      assert.equal(await store.uploads.get(upload('u1')), undefined);
    });

    it('lists sessions not updated since `before`', async () => {
      const idle = await store.uploads.create(upload('idle'), repo('app'));
      await store.uploads.create(upload('busy'), repo('app'));
      const mark = await tick();
      await store.uploads.advance(upload('busy'), 0, 5);
      assert.deepEqual(await store.uploads.stale(mark), [idle]);
      assert.deepEqual(await store.uploads.stale(0), []);
      assert.deepEqual((await store.uploads.stale(FUTURE)).map((s) => s.id).sort(), ['busy', 'idle']);
    });
  });

  describe('garbage', () => {
    it('finds blobs linked nowhere and last seen before the cut-off; a dry run changes nothing', async () => {
      const loose = blob('loose');
      await store.blobs.touch(loose, 1);
      const kept = await linkedBlob(repo('app'), 'kept');
      const mark = await tick();
      const fresh = blob('fresh');
      await store.blobs.touch(fresh, 1);

      assert.deepEqual(await store.garbage.unlinkedBlobs(mark, false), [loose]);
      assert.deepEqual(await store.garbage.unlinkedBlobs(FUTURE, false), [fresh, loose].sort());
      assert.deepEqual(await store.garbage.unlinkedBlobs(0, false), []);
      for (const digest of [loose, kept, fresh]) assert.equal(await store.garbage.isKnown(digest), true);

      assert.deepEqual(await store.garbage.unlinkedBlobs(mark, true), [loose]);
      assert.equal(await store.garbage.isKnown(loose), false);
      assert.equal(await store.garbage.isKnown(fresh), true);
      assert.deepEqual(await store.garbage.unlinkedBlobs(FUTURE, true), [fresh]);
      assert.equal(await store.garbage.isKnown(kept), true);
      assert.deepEqual(await store.blobs.linked(repo('app'), kept), { size: 10 });
    });

    it('spares a blob touched again after the cut-off', async () => {
      const digest = blob('b');
      await store.blobs.touch(digest, 1);
      const mark = await tick();
      await store.blobs.touch(digest, 1);
      assert.deepEqual(await store.garbage.unlinkedBlobs(mark, true), []);
      assert.equal(await store.garbage.isKnown(digest), true);
    });

    it('finds links no manifest of their repository references; a dry run changes nothing', async () => {
      const app = repo('app');
      const used = await linkedBlob(app, 'used');
      const unused = await linkedBlob(app, 'unused');
      const other = repo('other');
      await store.blobs.link(other, used);
      await store.manifests.put(manifest(app, 'm', { blobRefs: [used] }));
      const expected = [
        { repo: app, digest: unused },
        { repo: other, digest: used },
      ];
      assert.deepEqual(await store.garbage.unusedLinks(FUTURE, false), expected);
      assert.deepEqual(await store.garbage.unusedLinks(0, false), []);
      assert.deepEqual(await store.blobs.linked(app, unused), { size: 10 });

      assert.deepEqual(await store.garbage.unusedLinks(FUTURE, true), expected);
      assert.equal(await store.blobs.linked(app, unused), undefined);
      assert.equal(await store.blobs.linked(other, used), undefined);
      assert.deepEqual(await store.blobs.linked(app, used), { size: 10 });
      assert.deepEqual(await store.garbage.unusedLinks(FUTURE, true), []);
      // The blobs stay known until unlinkedBlobs; the one still linked is never removed.
      assert.deepEqual(await store.garbage.unlinkedBlobs(FUTURE, true), [unused]);
      assert.equal(await store.garbage.isKnown(used), true);
    });

    it('spares a link used after the cut-off', async () => {
      const r = repo('app');
      const digest = await linkedBlob(r, 'b');
      const mark = await tick();
      await store.blobs.link(r, digest);
      assert.deepEqual(await store.garbage.unusedLinks(mark, true), []);
      assert.deepEqual(await store.blobs.linked(r, digest), { size: 10 });
    });

    it('finds untagged referrers whose subject is absent; a dry run changes nothing', async () => {
      const r = repo('app');
      const subject = manifest(r, 'subject');
      await store.manifests.put(subject);
      const alive = manifest(r, 'alive', { subject: subject.digest });
      const orphan = manifest(r, 'orphan', { subject: digestOf('gone') });
      const tagged = manifest(r, 'tagged', { subject: digestOf('gone'), tag: tag('keep') });
      const listed = manifest(r, 'listed', { subject: digestOf('gone') });
      const index = manifest(r, 'index', { manifestRefs: [listed.digest], tag: tag('index') });
      const elsewhere = manifest(repo('other'), 'orphan', { subject: subject.digest });
      for (const m of [alive, orphan, tagged, listed, index, elsewhere]) assert.deepEqual(await store.manifests.put(m), { missing: [] });
      const mark = await tick();
      const young = manifest(r, 'young', { subject: digestOf('gone') });
      await store.manifests.put(young);

      const expected = [
        { repo: r, digest: orphan.digest },
        { repo: repo('other'), digest: elsewhere.digest },
      ];
      assert.deepEqual(await store.garbage.orphanReferrers(mark, false), expected);
      assert.deepEqual(await store.garbage.orphanReferrers(0, false), []);
      assert.ok(await store.manifests.get(r, orphan.digest));

      assert.deepEqual(await store.garbage.orphanReferrers(mark, true), expected);
      assert.equal(await store.manifests.get(r, orphan.digest), undefined);
      assert.equal(await store.manifests.get(repo('other'), elsewhere.digest), undefined);
      for (const m of [subject, alive, tagged, listed, index, young]) assert.ok(await store.manifests.get(r, m.digest));
      assert.equal(await store.tags.resolve(r, tag('keep')), tagged.digest);
    });

    it('never removes a link that a concurrent put relies on', async () => {
      const r = repo('app');
      for (let i = 0; i < 10; i++) {
        const layer = await linkedBlob(r, `layer ${i}`);
        const mark = await tick();
        const m = manifest(r, `m ${i}`, { blobRefs: [layer] });
        const [put, swept] = await Promise.all([store.manifests.put(m), store.garbage.unusedLinks(mark, true)]);
        const wasSwept = swept.some((link) => link.digest === layer);
        assert.equal(put.missing.length === 0, !wasSwept);
        assert.equal((await store.blobs.linked(r, layer)) !== undefined, !wasSwept);
        assert.equal((await store.manifests.get(r, m.digest)) !== undefined, !wasSwept);
      }
    });

    it('orphans referrers when their subject is deleted', async () => {
      const r = repo('app');
      const subject = manifest(r, 'subject', { tag: tag('latest') });
      const sig = manifest(r, 'sig', { subject: subject.digest });
      await store.manifests.put(subject);
      await store.manifests.put(sig);
      assert.deepEqual(await store.garbage.orphanReferrers(FUTURE, false), []);
      await store.manifests.delete(r, subject.digest);
      assert.deepEqual(await store.garbage.orphanReferrers(FUTURE, true), [{ repo: r, digest: sig.digest }]);
      assert.deepEqual(await store.manifests.referrers(r, subject.digest), []);
    });
  });
});

describe('openSqlMetadataStore', () => {
  it('keeps sqlite data in <dataDir>/metadata.db across reopening', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const first = await openSqlMetadataStore('sqlite', { dataDir: `${dir.path}/nested` });
    await first.blobs.touch(blob('b'), 3);
    await first.close();
    const again = await openSqlMetadataStore(`sqlite:${dir.path}/nested/metadata.db`, { dataDir: '/nonexistent' });
    t.after(() => again.close());
    assert.equal(await again.blobs.size(blob('b')), 3);
  });

  it('opens an in-memory sqlite database', async (t) => {
    const store = await openSqlMetadataStore('sqlite::memory:', { dataDir: '/nonexistent' });
    t.after(() => store.close());
    assert.deepEqual(await store.repositories.list({ limit: 1 }), []);
  });

  it('rejects an unsupported url without echoing it', async () => {
    await assert.rejects(openSqlMetadataStore('mysql://user:secret@host/db', { dataDir: '/tmp' }), (err: Error) => {
      assert.ok(!err.message.includes('secret'));
      return true;
    });
  });

  it('throws UNAVAILABLE when PostgreSQL cannot be reached, without SQL or credentials', async () => {
    await assert.rejects(openSqlMetadataStore('postgres://postgres:secret@127.0.0.1:1/none', { dataDir: '/tmp' }), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'UNAVAILABLE');
      assert.ok(!/secret|select|insert|create/i.test(err.message), err.message);
      return true;
    });
  });

  it('throws UNAVAILABLE for calls after close', async () => {
    const store = await openSqlMetadataStore('sqlite::memory:', { dataDir: '/nonexistent' });
    await store.close();
    await assert.rejects(store.blobs.size(blob('b')), { name: 'WharfError', code: 'UNAVAILABLE' });
  });
});

describe('garbage sweeps racing writers [postgres]', () => {
  let database: { url: string; drop(): Promise<void> };
  let store: MetadataStore;
  let writer: pg.Client;
  beforeEach(async () => {
    database = await createTestDatabase();
    store = await openSqlMetadataStore(database.url, { dataDir: '/nonexistent' });
    writer = new pg.Client({ connectionString: database.url });
    await writer.connect();
  });
  afterEach(async () => {
    await writer.end();
    await store.close();
    await database.drop();
  });

  /** Runs `sweep` while `writer` holds an open transaction, commits once the sweep waits for it. */
  async function sweepWhileWriting<T>(write: string, params: unknown[], sweep: () => Promise<T>): Promise<T> {
    await writer.query('BEGIN');
    await writer.query(write, params);
    const result = sweep();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const waiting = await writer.query(
        "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (waiting.rowCount) break;
      assert.ok(Date.now() < deadline, 'the sweep never waited for the writer');
      await yieldToLoop();
    }
    await writer.query('COMMIT');
    return result;
  }

  it('skips a blob linked while unlinkedBlobs waits, and deletes the rest', async () => {
    const raced = blob('raced');
    const loose = blob('loose');
    await store.blobs.touch(raced, 1);
    await store.blobs.touch(loose, 1);
    const swept = await sweepWhileWriting(
      'INSERT INTO repository_blobs (repo, digest, last_used_at) VALUES ($1, $2, $3)',
      ['app', raced, Date.now()],
      () => store.garbage.unlinkedBlobs(FUTURE, true),
    );
    assert.deepEqual(swept, [loose]);
    assert.equal(await store.garbage.isKnown(raced), true);
    assert.equal(await store.garbage.isKnown(loose), false);
  });

  it('spares a blob touched while unlinkedBlobs waits', async () => {
    const digest = blob('b');
    await store.blobs.touch(digest, 1);
    const mark = await tick();
    const swept = await sweepWhileWriting('UPDATE blobs SET last_seen_at = $2 WHERE digest = $1', [digest, Date.now()], () =>
      store.garbage.unlinkedBlobs(mark, true),
    );
    assert.deepEqual(swept, []);
    assert.equal(await store.garbage.isKnown(digest), true);
  });

  it('spares a link refreshed (as manifests.put does) while unusedLinks waits', async () => {
    const r = repo('app');
    const digest = blob('b');
    await store.blobs.touch(digest, 1);
    await store.blobs.link(r, digest);
    const mark = await tick();
    const swept = await sweepWhileWriting(
      'UPDATE repository_blobs SET last_used_at = $3 WHERE repo = $1 AND digest = $2',
      [r, digest, Date.now()],
      () => store.garbage.unusedLinks(mark, true),
    );
    assert.deepEqual(swept, []);
    assert.deepEqual(await store.blobs.linked(r, digest), { size: 1 });
  });
});
