import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { digestOf, type Digest } from '../../src/oci/digest.ts';
import { isTag, parseRepoName, type RepoName, type Tag } from '../../src/oci/names.ts';
import type { ManifestInput } from '../../src/storage/metadata-store.ts';
import { forEachStore } from '../helpers/metadata-drivers.ts';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const ALL_ON = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true };
const repo = (name: string): RepoName => parseRepoName(name);
function tag(name: string): Tag {
  assert.ok(isTag(name), name);
  return name;
}

async function tick(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await yieldToLoop();
}

forEachStore('AttributeIndex', (store) => {

  async function linkedBlob(r: RepoName, name: string, size: number): Promise<Digest> {
    const digest = digestOf(`blob ${name}`);
    await store.blobs.touch(digest, size);
    assert.equal(await store.blobs.link(r, digest), true);
    return digest;
  }

  /** A manifest referencing `blobs`; its bytes are `name`-specific. */
  async function push(r: RepoName, name: string, blobs: Digest[], extra: Partial<ManifestInput> = {}): Promise<{ digest: Digest; size: number }> {
    const bytes = Buffer.from(JSON.stringify({ name, blobs }));
    const digest = digestOf(bytes);
    const { missing } = await store.manifests.put({ repo: r, digest, mediaType: MANIFEST_TYPE, bytes, blobRefs: blobs, manifestRefs: [], ...extra });
    assert.deepEqual(missing, []);
    return { digest, size: bytes.length };
  }

  it('details a repository: counts, size of its blobs and manifests, times and attributes, in one answer', async () => {
    const r = repo('team/app');
    assert.equal(await store.attributes.repository(r), undefined);
    const layer = await linkedBlob(r, 'layer', 1000);
    const config = await linkedBlob(r, 'config', 24);
    const one = await push(r, 'one', [config, layer], { tag: tag('v1') });
    await tick();
    const two = await push(r, 'two', [layer], { tag: tag('v2') });
    await store.manifests.put({ ...(await manifestInput(r, 'one', [config, layer])), tag: tag('latest') });
    const detail = await store.attributes.repository(r);
    assert.ok(detail);
    assert.equal(detail.manifestCount, 2);
    assert.equal(detail.tagCount, 3);
    assert.equal(detail.size, 1000 + 24 + one.size + two.size);
    assert.ok(detail.updatedAt > detail.createdAt);
    assert.deepEqual(detail.attributes, ALL_ON);
  });

  async function manifestInput(r: RepoName, name: string, blobs: Digest[]): Promise<ManifestInput> {
    const bytes = Buffer.from(JSON.stringify({ name, blobs }));
    return { repo: r, digest: digestOf(bytes), mediaType: MANIFEST_TYPE, bytes, blobRefs: blobs, manifestRefs: [] };
  }

  it('lists tags by name with last/limit, and by time both ways; a tag keeps its creation time when moved', async () => {
    const r = repo('app');
    const a = await push(r, 'a', [], { tag: tag('b') });
    await tick();
    await push(r, 'b', [], { tag: tag('a') });
    await tick();
    await push(r, 'c', [], { tag: tag('c') });
    const byName = await store.attributes.tags(r, { limit: 2, order: 'name' });
    assert.deepEqual(byName?.map((t) => t.name), ['a', 'b']);
    assert.deepEqual((await store.attributes.tags(r, { limit: 10, last: 'b', order: 'name' }))?.map((t) => t.name), ['c']);
    assert.deepEqual((await store.attributes.tags(r, { limit: 10, order: 'timeDesc' }))?.map((t) => t.name), ['c', 'a', 'b']);
    assert.deepEqual((await store.attributes.tags(r, { limit: 2, order: 'timeAsc' }))?.map((t) => t.name), ['b', 'a']);
    const before = await store.attributes.tag(r, tag('b'));
    assert.equal(before?.digest, a.digest);
    await tick();
    const moved = await push(r, 'd', [], { tag: tag('b') });
    const after = await store.attributes.tag(r, tag('b'));
    assert.equal(after?.digest, moved.digest);
    assert.equal(after?.createdAt, before?.createdAt);
    assert.ok(after!.updatedAt > before!.updatedAt);
    assert.deepEqual(after?.attributes, ALL_ON);
    assert.equal(await store.attributes.tag(r, tag('nope')), undefined);
    assert.equal(await store.attributes.tags(repo('absent'), { limit: 10, order: 'name' }), undefined);
  });

  it('lists manifests with their tags and sizes (manifest bytes plus referenced blobs), and pages by digest', async () => {
    const r = repo('app');
    const layer = await linkedBlob(r, 'layer', 500);
    const one = await push(r, 'one', [layer], { tag: tag('v1') });
    await store.manifests.put({ ...(await manifestInput(r, 'one', [layer])), tag: tag('stable') });
    const two = await push(r, 'two', [], { subject: one.digest, artifactType: 'application/x-sig' });
    const all = await store.attributes.manifests(r, { limit: 10, order: 'name' });
    assert.deepEqual(all?.map((m) => m.digest), [one.digest, two.digest].sort());
    const first = await store.attributes.manifest(r, one.digest);
    assert.deepEqual(first?.tags, ['stable', 'v1']);
    assert.equal(first?.size, one.size + 500);
    assert.equal(first?.mediaType, MANIFEST_TYPE);
    const second = await store.attributes.manifest(r, two.digest);
    assert.deepEqual(second?.tags, []);
    assert.equal(second?.subject, one.digest);
    assert.equal(second?.artifactType, 'application/x-sig');
    const page = await store.attributes.manifests(r, { limit: 1, order: 'name' });
    assert.equal(page?.length, 1);
    const rest = await store.attributes.manifests(r, { limit: 10, last: page![0]!.digest, order: 'name' });
    assert.equal(rest?.length, 1);
    assert.notEqual(rest![0]!.digest, page![0]!.digest);
    assert.deepEqual((await store.attributes.manifests(r, { limit: 10, order: 'timeDesc' }))?.length, 2);
    assert.equal(await store.attributes.manifests(repo('absent'), { limit: 10, order: 'name' }), undefined);
  });

  it('updates attributes of a repository, tag and manifest; false for targets that do not exist', async () => {
    const r = repo('app');
    const one = await push(r, 'one', [], { tag: tag('v1') });
    assert.equal(await store.attributes.update({ kind: 'repository', repo: r }, { writeEnabled: false }), true);
    assert.equal(await store.attributes.update({ kind: 'tag', repo: r, tag: tag('v1') }, { deleteEnabled: false, listEnabled: false }), true);
    assert.equal(await store.attributes.update({ kind: 'manifest', repo: r, digest: one.digest }, { readEnabled: false }), true);
    assert.deepEqual((await store.attributes.repository(r))?.attributes, { ...ALL_ON, writeEnabled: false });
    assert.deepEqual((await store.attributes.tag(r, tag('v1')))?.attributes, { ...ALL_ON, deleteEnabled: false, listEnabled: false });
    assert.deepEqual((await store.attributes.manifest(r, one.digest))?.attributes, { ...ALL_ON, readEnabled: false });
    assert.equal(await store.attributes.update({ kind: 'tag', repo: r, tag: tag('v2') }, { writeEnabled: false }), false);
    assert.equal(await store.attributes.update({ kind: 'repository', repo: repo('absent') }, {}), false);
    assert.equal(await store.attributes.update({ kind: 'repository', repo: r }, {}), true);
    assert.equal(await store.attributes.update({ kind: 'repository', repo: r }, { writeEnabled: true }), true);
    assert.deepEqual((await store.attributes.repository(r))?.attributes, ALL_ON);
  });

  it('reports only the locks that concern the request: repository, tag and its manifest, named manifests, tags of a manifest', async () => {
    const r = repo('app');
    const one = await push(r, 'one', [], { tag: tag('v1') });
    const two = await push(r, 'two', [], { tag: tag('v2') });
    assert.deepEqual(await store.attributes.locks(r, { tag: tag('v1'), digests: [one.digest], all: false }), []);
    await store.attributes.update({ kind: 'manifest', repo: r, digest: one.digest }, { writeEnabled: false });
    await store.attributes.update({ kind: 'tag', repo: r, tag: tag('v2') }, { deleteEnabled: false });
    assert.deepEqual(await store.attributes.locks(r, { tag: tag('v1') }), [
      { kind: 'manifest', repo: r, digest: one.digest, writeEnabled: false, deleteEnabled: true },
    ]);
    assert.deepEqual(await store.attributes.locks(r, { tagsOf: [two.digest] }), [
      { kind: 'tag', repo: r, tag: 'v2', writeEnabled: true, deleteEnabled: false },
    ]);
    assert.deepEqual(await store.attributes.locks(r, { digests: [two.digest] }), []);
    await store.attributes.update({ kind: 'repository', repo: r }, { deleteEnabled: false });
    const all = await store.attributes.locks(r, { all: true });
    assert.deepEqual(all.map((l) => l.kind).sort(), ['manifest', 'repository', 'tag']);
    assert.deepEqual(await store.attributes.locks(repo('other'), { all: true }), []);
  });

  it('reports every read-locked or list-hidden repository, tag and manifest of the registry, and nothing else', async () => {
    const r = repo('team/app');
    const other = repo('other');
    const one = await push(r, 'one', [], { tag: tag('v1') });
    const two = await push(r, 'two', [], { tag: tag('v2') });
    await push(other, 'one', [], { tag: tag('v1') });
    assert.deepEqual(await store.attributes.restricted(), []);
    // Write and delete locks are not restrictions.
    await store.attributes.update({ kind: 'repository', repo: other }, { writeEnabled: false, deleteEnabled: false });
    assert.deepEqual(await store.attributes.restricted(), []);
    await store.attributes.update({ kind: 'repository', repo: r }, { readEnabled: false });
    await store.attributes.update({ kind: 'repository', repo: other }, { listEnabled: false });
    await store.attributes.update({ kind: 'tag', repo: r, tag: tag('v1') }, { readEnabled: false, listEnabled: false });
    await store.attributes.update({ kind: 'tag', repo: other, tag: tag('v1') }, { listEnabled: false });
    await store.attributes.update({ kind: 'manifest', repo: r, digest: one.digest }, { listEnabled: false });
    await store.attributes.update({ kind: 'manifest', repo: r, digest: two.digest }, { readEnabled: false });
    const key = (x: { kind: string; repo: string }) => JSON.stringify(x);
    assert.deepEqual((await store.attributes.restricted()).map(key).sort(), [
      { kind: 'repository', repo: r, readEnabled: false, listEnabled: true },
      { kind: 'repository', repo: other, readEnabled: true, listEnabled: false },
      { kind: 'tag', repo: r, tag: 'v1', readEnabled: false, listEnabled: false },
      { kind: 'tag', repo: other, tag: 'v1', readEnabled: true, listEnabled: false },
      { kind: 'manifest', repo: r, digest: one.digest, readEnabled: true, listEnabled: false },
      { kind: 'manifest', repo: r, digest: two.digest, readEnabled: false, listEnabled: true },
    ].map(key).sort());
    await store.attributes.update({ kind: 'repository', repo: r }, { readEnabled: true });
    await store.attributes.update({ kind: 'manifest', repo: r, digest: one.digest }, { listEnabled: true });
    assert.equal(await store.tags.delete(other, tag('v1')), true);
    assert.deepEqual((await store.attributes.restricted()).map(key).sort(), [
      { kind: 'repository', repo: other, readEnabled: true, listEnabled: false },
      { kind: 'tag', repo: r, tag: 'v1', readEnabled: false, listEnabled: false },
      { kind: 'manifest', repo: r, digest: two.digest, readEnabled: false, listEnabled: true },
    ].map(key).sort());
  });

  it('leaves list-hidden tags (also of list-hidden manifests) and repositories out of the lists, and pages over what is left', async () => {
    const r = repo('app');
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const pushed = new Map<string, Digest>();
    for (const name of names) pushed.set(name, (await push(r, name, [], { tag: tag(name) })).digest);
    await store.manifests.put({ ...(await manifestInput(r, 'c', [])), tag: tag('c2') });
    await store.attributes.update({ kind: 'tag', repo: r, tag: tag('b') }, { listEnabled: false });
    await store.attributes.update({ kind: 'manifest', repo: r, digest: pushed.get('c')! }, { listEnabled: false });
    // Other attributes off do not hide.
    await store.attributes.update({ kind: 'tag', repo: r, tag: tag('d') }, { readEnabled: false, writeEnabled: false, deleteEnabled: false });
    const visible = ['a', 'd', 'e', 'f'];
    assert.deepEqual(await store.tags.list(r, { limit: 100 }), visible);
    assert.deepEqual(await store.tags.list(r, { limit: 2 }), ['a', 'd']);
    assert.deepEqual(await store.tags.list(r, { limit: 2, last: 'a' }), ['d', 'e']);
    assert.deepEqual(await store.tags.list(r, { limit: 2, last: 'e' }), ['f']);
    const listed = { order: 'name' as const, listedOnly: true };
    assert.deepEqual((await store.attributes.tags(r, { limit: 100, ...listed }))?.map((t) => t.name), visible);
    assert.deepEqual((await store.attributes.tags(r, { limit: 2, last: 'a', ...listed }))?.map((t) => t.name), ['d', 'e']);
    assert.deepEqual((await store.attributes.tags(r, { limit: 100, order: 'timeDesc', listedOnly: true }))?.map((t) => t.name).sort(), visible);
    assert.deepEqual((await store.attributes.tags(r, { limit: 100, order: 'name' }))?.map((t) => t.name), [...names, 'c2'].sort());
    const manifests = [...pushed.entries()].filter(([name]) => name !== 'c').map(([, digest]) => digest).sort();
    assert.deepEqual((await store.attributes.manifests(r, { limit: 100, ...listed }))?.map((m) => m.digest), manifests);
    assert.deepEqual((await store.attributes.manifests(r, { limit: 2, last: manifests[0], ...listed }))?.map((m) => m.digest), manifests.slice(1, 3));
    assert.equal((await store.attributes.manifests(r, { limit: 100, order: 'name' }))?.length, names.length);
    // Everything hidden: an empty list, not an unknown repository.
    for (const name of visible) await store.attributes.update({ kind: 'tag', repo: r, tag: tag(name) }, { listEnabled: false });
    assert.deepEqual(await store.tags.list(r, { limit: 100 }), []);
    assert.deepEqual(await store.attributes.tags(r, { limit: 100, ...listed }), []);

    for (const name of ['x/1', 'x/2', 'x/3', 'x/4']) await push(repo(name), 'm', []);
    await store.attributes.update({ kind: 'repository', repo: repo('x/2') }, { listEnabled: false });
    await store.attributes.update({ kind: 'repository', repo: repo('x/3') }, { readEnabled: false });
    assert.deepEqual(await store.repositories.list({ limit: 100, last: 'x/' }), ['x/1', 'x/3', 'x/4']);
    assert.deepEqual(await store.repositories.list({ limit: 2, last: 'x/1' }), ['x/3', 'x/4']);
    assert.equal(await store.repositories.exists(repo('x/2')), true);
  });

  it('deletes a repository with its manifests, tags and blob links; other repositories keep theirs', async () => {
    const r = repo('app');
    const other = repo('other');
    const layer = await linkedBlob(r, 'layer', 10);
    await linkedBlob(other, 'layer', 10);
    const one = await push(r, 'one', [layer], { tag: tag('v1') });
    await push(other, 'one', [layer], { tag: tag('v1') });
    const deleted = await store.attributes.deleteRepository(r);
    assert.deepEqual(deleted, { manifests: [one.digest], tags: ['v1'] });
    assert.equal(await store.repositories.exists(r), false);
    assert.equal(await store.blobs.linked(r, layer), undefined);
    assert.equal(await store.tags.resolve(r, tag('v1')), undefined);
    assert.equal(await store.manifests.get(r, one.digest), undefined);
    assert.deepEqual(await store.tags.list(other, { limit: 10 }), ['v1']);
    assert.ok(await store.blobs.linked(other, layer));
    assert.equal(await store.attributes.deleteRepository(r), undefined);
  });
});
