import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachBackend, type BackendContext } from '../helpers/backends.ts';
import { expectError, expectStatus, jsonOf, pushBlob, pushImage, randomBlob, startUpload, uniqueRepo } from '../helpers/oci.ts';

const ALL_ON = { deleteEnabled: true, listEnabled: true, readEnabled: true, writeEnabled: true };
const ACR_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;

interface TagJson { name: string; digest: string; createdTime: string; lastUpdateTime: string; signed: boolean; changeableAttributes: typeof ALL_ON }
interface ManifestJson { digest: string; imageSize: number; tags: string[]; mediaType: string; changeableAttributes: typeof ALL_ON }

function patch(ctx: BackendContext, path: string, body: unknown): ReturnType<BackendContext['registry']['fetch']> {
  return ctx.registry.fetch(path, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function tagNames(ctx: BackendContext, repo: string): Promise<string[]> {
  const res = await ctx.registry.fetch(`/v2/${repo}/tags/list`);
  return (await jsonOf<{ tags: string[] }>(res)).tags;
}

// ACR's /acr/v1 metadata API (spec 4): details, attributes and the locks they set.
forEachBackend('/acr/v1 metadata API', (ctx) => {
  describe('GET /acr/v1/<repo>, _tags, _manifests', () => {
    it('shows a repository: counts, size, times, attributes and the registry name', async () => {
      const repo = uniqueRepo('acr');
      const one = await pushImage(ctx.registry, repo, { reference: 'v1' });
      await pushImage(ctx.registry, repo, { reference: 'v2' });
      const body = await jsonOf<Record<string, unknown>>(await ctx.registry.fetch(`/acr/v1/${repo}`));
      assert.equal(body.registry, ctx.registry.host);
      assert.equal(body.imageName, repo);
      assert.equal(body.manifestCount, 2);
      assert.equal(body.tagCount, 2);
      assert.equal(body.signedTagCount, 0);
      assert.deepEqual(body.changeableAttributes, ALL_ON);
      assert.match(String(body.createdTime), ACR_TIME);
      assert.match(String(body.lastUpdateTime), ACR_TIME);
      // Two configs, two layers, two manifests; the sizes come from what was pushed.
      assert.ok((body.sizeBytes as number) >= 2 * (one.config.bytes.length + one.layers[0]!.bytes.length + one.manifest.bytes.length) - 100);
      await expectError(await ctx.registry.fetch(`/acr/v1/${uniqueRepo('absent')}`), 404, 'NAME_UNKNOWN');
    });

    it('lists tags with digest, times and signed=false; pages by name with a Link, orders by time', async () => {
      const repo = uniqueRepo('acr');
      const images = [];
      for (const tag of ['b', 'a', 'c']) images.push(await pushImage(ctx.registry, repo, { reference: tag }));
      const all = await jsonOf<{ registry: string; imageName: string; tags: TagJson[] }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags`));
      assert.equal(all.imageName, repo);
      assert.deepEqual(all.tags.map((t) => t.name), ['a', 'b', 'c']);
      const a = all.tags[0]!;
      assert.equal(a.digest, images[1]!.manifest.digest);
      assert.equal(a.signed, false);
      assert.deepEqual(a.changeableAttributes, ALL_ON);
      assert.match(a.createdTime, ACR_TIME);
      const first = await ctx.registry.fetch(`/acr/v1/${repo}/_tags?n=2`);
      assert.equal(first.headers.get('link'), `</acr/v1/${repo}/_tags?n=2&last=b>; rel="next"`);
      assert.deepEqual((await jsonOf<{ tags: TagJson[] }>(first)).tags.map((t) => t.name), ['a', 'b']);
      const newest = await jsonOf<{ tags: TagJson[] }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags?orderby=timedesc&n=1`));
      assert.deepEqual(newest.tags.map((t) => t.name), ['c']);
      const one = await jsonOf<{ tag: TagJson }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/b`));
      assert.equal(one.tag.digest, images[0]!.manifest.digest);
      await expectError(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/nope`), 404, 'MANIFEST_UNKNOWN');
      await expectError(await ctx.registry.fetch(`/acr/v1/${repo}/_tags?orderby=sideways`), 405, 'UNSUPPORTED');
    });

    it('lists manifests with their tags and image size (manifest, config and layers)', async () => {
      const repo = uniqueRepo('acr');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1', layers: 2 });
      const list = await jsonOf<{ manifests: ManifestJson[] }>(await ctx.registry.fetch(`/acr/v1/${repo}/_manifests`));
      assert.equal(list.manifests.length, 1);
      const m = list.manifests[0]!;
      assert.equal(m.digest, image.manifest.digest);
      assert.deepEqual(m.tags, ['v1']);
      assert.equal(m.imageSize, image.manifest.bytes.length + image.config.bytes.length + image.layers.reduce((n, l) => n + l.bytes.length, 0));
      const one = await jsonOf<{ manifest: ManifestJson }>(await ctx.registry.fetch(`/acr/v1/${repo}/_manifests/${image.manifest.digest}`));
      assert.deepEqual(one.manifest, m);
    });

    it('lists repositories under _catalog', async () => {
      const repo = uniqueRepo('acr');
      await pushImage(ctx.registry, repo, { reference: 'v1' });
      const body = await jsonOf<{ repositories: string[] }>(await ctx.registry.fetch('/acr/v1/_catalog?n=1000'));
      assert.ok(body.repositories.includes(repo));
    });

    it('asks anonymous callers for a token with metadataRead on the repository', async () => {
      const repo = uniqueRepo('acr');
      await pushImage(ctx.registry, repo, { reference: 'v1' });
      const res = await ctx.registry.anonymousFetch(`/acr/v1/${repo}/_tags`);
      await expectError(res, 401, 'UNAUTHORIZED');
      assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`scope="repository:${repo}:metadataRead"`));
    });
  });

  describe('PATCH attributes and the locks they set', () => {
    it('a write-locked tag cannot be moved or re-pushed (403 DENIED naming the lock); unlocked it can', async () => {
      const repo = uniqueRepo('lock');
      const first = await pushImage(ctx.registry, repo, { reference: 'v1' });
      const patched = await jsonOf<{ tag: TagJson }>(await patch(ctx, `/acr/v1/${repo}/_tags/v1`, { writeEnabled: false }));
      assert.deepEqual(patched.tag.changeableAttributes, { ...ALL_ON, writeEnabled: false });
      const res = await pushImage(ctx.registry, repo, { reference: 'v1' }).then(() => undefined, (err: Error) => err);
      assert.match(String(res?.message), /403|DENIED/);
      const direct = await ctx.registry.fetch(`/v2/${repo}/manifests/v1`, {
        method: 'PUT', headers: { 'content-type': first.manifest.mediaType }, body: first.manifest.bytes,
      });
      assert.equal(direct.status, 403);
      const error = (await direct.json()) as { errors: { code: string; message: string }[] };
      assert.equal(error.errors[0]!.code, 'DENIED');
      assert.match(error.errors[0]!.message, new RegExp(`tag ${repo}:v1 is locked \\(writeEnabled=false\\).*--image ${repo}:v1 --write-enabled true`));
      assert.equal((await jsonOf<{ tag: TagJson }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/v1`))).tag.digest, first.manifest.digest);
      await expectStatus(await patch(ctx, `/acr/v1/${repo}/_tags/v1`, { writeEnabled: true }), 200);
      const moved = await pushImage(ctx.registry, repo, { reference: 'v1' });
      assert.equal((await jsonOf<{ tag: TagJson }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/v1`))).tag.digest, moved.manifest.digest);
    });

    it('a write-locked repository refuses uploads, mounts and manifests; nothing is written', async () => {
      const repo = uniqueRepo('lock');
      const source = uniqueRepo('lock');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      const blob = randomBlob();
      const digest = await pushBlob(ctx.registry, source, blob);
      const repoJson = await jsonOf<{ changeableAttributes: typeof ALL_ON }>(await patch(ctx, `/acr/v1/${repo}`, { writeEnabled: false }));
      assert.equal(repoJson.changeableAttributes.writeEnabled, false);
      await expectError(await ctx.registry.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' }), 403, 'DENIED');
      await expectError(await ctx.registry.fetch(`/v2/${repo}/blobs/uploads/?mount=${digest}&from=${source}`, { method: 'POST' }), 403, 'DENIED');
      assert.equal((await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status, 404);
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/v2`, {
        method: 'PUT', headers: { 'content-type': image.manifest.mediaType }, body: image.manifest.bytes,
      }), 403, 'DENIED');
      assert.deepEqual(await tagNames(ctx, repo), ['v1']);
      await expectStatus(await patch(ctx, `/acr/v1/${repo}`, { writeEnabled: true }), 200);
      await startUpload(ctx.registry, repo);
    });

    it('wharf import refuses a write-locked target tag or repository, also with mode Force, before reading the source', async () => {
      const repo = uniqueRepo('lock');
      await pushImage(ctx.registry, repo, { reference: 'v1' });
      await expectStatus(await patch(ctx, `/acr/v1/${repo}/_tags/v1`, { writeEnabled: false }), 200);
      const importTo = (body: Record<string, unknown>) => ctx.registry.fetch('/api/registry/importImage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: { registryUri: '127.0.0.1:9', sourceImage: 'nowhere:v1' }, mode: 'Force', ...body }),
      });
      const tagRefused = await importTo({ targetTags: [`${repo}:v1`] });
      assert.equal(tagRefused.status, 403);
      assert.match(((await tagRefused.json()) as { error: { message: string } }).error.message, /is locked \(writeEnabled=false\)/);
      await expectStatus(await patch(ctx, `/acr/v1/${repo}`, { writeEnabled: false }), 200);
      const repoRefused = await importTo({ targetTags: [], untaggedTargetRepositories: [repo] });
      assert.equal(repoRefused.status, 403);
      await repoRefused.arrayBuffer();
    });

    it('delete locks: a tag (untag, delete by tag, delete of its manifest) and a manifest refuse deletion', async () => {
      const repo = uniqueRepo('lock');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      await expectStatus(await patch(ctx, `/acr/v1/${repo}/_tags/v1`, { deleteEnabled: false }), 200);
      await expectError(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/v1`, { method: 'DELETE' }), 403, 'DENIED');
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/v1`, { method: 'DELETE' }), 403, 'DENIED');
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'DELETE' }), 403, 'DENIED');
      await expectError(await ctx.registry.fetch(`/acr/v1/${repo}`, { method: 'DELETE' }), 403, 'DENIED');
      assert.deepEqual(await tagNames(ctx, repo), ['v1']);
      await expectStatus(await patch(ctx, `/acr/v1/${repo}/_tags/v1`, { deleteEnabled: true }), 200);
      const m = await jsonOf<{ manifest: ManifestJson }>(await patch(ctx, `/acr/v1/${repo}/_manifests/${image.manifest.digest}`, { deleteEnabled: false }));
      assert.equal(m.manifest.changeableAttributes.deleteEnabled, false);
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'DELETE' }), 403, 'DENIED');
      // The tag itself is not locked: untagging leaves the locked manifest in place.
      await expectStatus(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/v1`, { method: 'DELETE' }), 202);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'HEAD' }), 200);
    });

    it('refuses bodies that are not boolean changeable attributes, changing nothing', async () => {
      const repo = uniqueRepo('lock');
      await pushImage(ctx.registry, repo, { reference: 'v1' });
      await expectError(await patch(ctx, `/acr/v1/${repo}`, { writeEnabled: 'no' }), 400, 'INVALID_REQUEST');
      await expectError(await patch(ctx, `/acr/v1/${repo}`, { teleport: true }), 400, 'INVALID_REQUEST');
      await expectError(await patch(ctx, `/acr/v1/${repo}`, [true]), 400, 'INVALID_REQUEST');
      await expectError(await patch(ctx, `/acr/v1/${repo}/_tags/nope`, { writeEnabled: false }), 404, 'MANIFEST_UNKNOWN');
      const body = await jsonOf<{ changeableAttributes: typeof ALL_ON }>(await ctx.registry.fetch(`/acr/v1/${repo}`));
      assert.deepEqual(body.changeableAttributes, ALL_ON);
    });
  });

  describe('DELETE /acr/v1/<repo>/_tags/<tag> and /acr/v1/<repo>', () => {
    it('untags: the tag goes, the manifest stays', async () => {
      const repo = uniqueRepo('untag');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      await expectStatus(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/v1`, { method: 'DELETE' }), 202);
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/v1`), 404, 'MANIFEST_UNKNOWN');
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'HEAD' }), 200);
      await expectError(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/v1`, { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
    });

    it('deletes a repository with its manifests and tags; it leaves the catalog; a delete-locked one stays', async () => {
      const repo = uniqueRepo('gone');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      const locked = uniqueRepo('kept');
      await pushImage(ctx.registry, locked, { reference: 'v1' });
      await expectStatus(await patch(ctx, `/acr/v1/${locked}`, { deleteEnabled: false }), 200);
      await expectError(await ctx.registry.fetch(`/acr/v1/${locked}`, { method: 'DELETE' }), 403, 'DENIED');
      const deleted = await jsonOf<{ manifestsDeleted: string[]; tagsDeleted: string[] }>(await ctx.registry.fetch(`/acr/v1/${repo}`, { method: 'DELETE' }), 202);
      assert.deepEqual(deleted, { manifestsDeleted: [image.manifest.digest], tagsDeleted: ['v1'] });
      await expectError(await ctx.registry.fetch(`/acr/v1/${repo}`), 404, 'NAME_UNKNOWN');
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
      const catalog = await jsonOf<{ repositories: string[] }>(await ctx.registry.fetch('/acr/v1/_catalog?n=1000'));
      assert.ok(!catalog.repositories.includes(repo));
      assert.ok(catalog.repositories.includes(locked));
      await expectError(await ctx.registry.fetch(`/acr/v1/${repo}`, { method: 'DELETE' }), 404, 'NAME_UNKNOWN');
    });
  });
});
