import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachBackend, type BackendContext } from '../helpers/backends.ts';
import {
  MEDIA,
  descriptorOf,
  expectError,
  expectStatus,
  imageIndex,
  imageManifest,
  jsonOf,
  pushBlob,
  pushImage,
  pushManifest,
  putManifest,
  randomBlob,
  randomDigest,
  uniqueRepo,
} from '../helpers/oci.ts';

async function tagsOf(ctx: BackendContext, repo: string): Promise<string[]> {
  const res = await ctx.registry.fetch(`/v2/${repo}/tags/list`);
  if (res.status === 404) {
    await res.arrayBuffer();
    return [];
  }
  return (await jsonOf<{ tags: string[] | null }>(res)).tags ?? [];
}

// distribution-spec "Content Management": deleting tags, manifests and blobs.
forEachBackend('content management', (ctx) => {
  describe('DELETE /v2/<name>/manifests/<digest>', () => {
    it('deletes the manifest (202); GET by digest and by the tag that pointed at it are then 404', async () => {
      const repo = uniqueRepo('delete');
      const image = await pushImage(ctx.registry, repo, { reference: 'doomed' });
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'DELETE' }), 202);
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`), 404, 'MANIFEST_UNKNOWN');
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/doomed`), 404, 'MANIFEST_UNKNOWN');
      const head = await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'HEAD' });
      await expectStatus(head, 404);
      assert.ok(!(await tagsOf(ctx, repo)).includes('doomed'));
    });

    it('leaves other manifests and tags of the repository alone', async () => {
      const repo = uniqueRepo('delete');
      const doomed = await pushImage(ctx.registry, repo, { reference: 'old' });
      const kept = await pushImage(ctx.registry, repo, { reference: 'new' });
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${doomed.manifest.digest}`, { method: 'DELETE' }), 202);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/new`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), kept.manifest.bytes);
      assert.deepEqual(await tagsOf(ctx, repo), ['new']);
    });

    it('does not delete the same manifest in another repository', async () => {
      const repo = uniqueRepo('delete');
      const other = uniqueRepo('delete');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      for (const blob of [image.config, ...image.layers]) await pushBlob(ctx.registry, other, blob.bytes);
      await pushManifest(ctx.registry, other, 'v1', image.manifest);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'DELETE' }), 202);
      await expectStatus(await ctx.registry.fetch(`/v2/${other}/manifests/v1`, { method: 'HEAD' }), 200);
    });

    it('lets the same manifest be pushed again afterwards', async () => {
      const repo = uniqueRepo('delete');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'DELETE' }), 202);
      await pushManifest(ctx.registry, repo, 'v1', image.manifest);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/v1`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest.bytes);
    });

    it('answers a second DELETE of the same digest with 404 MANIFEST_UNKNOWN', async () => {
      const repo = uniqueRepo('delete');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      const path = `/v2/${repo}/manifests/${image.manifest.digest}`;
      await expectStatus(await ctx.registry.fetch(path, { method: 'DELETE' }), 202);
      await expectError(await ctx.registry.fetch(path, { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers an unknown digest with 404 MANIFEST_UNKNOWN', async () => {
      const repo = uniqueRepo('delete');
      await pushImage(ctx.registry, repo, { reference: 'v1' });
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/${randomDigest()}`, { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
    });

    it('deletes an index without deleting its children', async () => {
      const repo = uniqueRepo('delete');
      const child = await pushImage(ctx.registry, repo);
      const index = imageIndex([descriptorOf(child.manifest)]);
      await pushManifest(ctx.registry, repo, 'multi', index);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${index.digest}`, { method: 'DELETE' }), 202);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/multi`, { method: 'HEAD' }), 404);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/${child.manifest.digest}`, { method: 'HEAD' });
      await expectStatus(res, 200);
      assert.equal(res.headers.get('content-type'), MEDIA.ociManifest);
    });
  });

  describe('DELETE /v2/<name>/manifests/<tag>', () => {
    it('removes only the tag (202); the manifest and other tags stay', async () => {
      const repo = uniqueRepo('delete');
      const image = await pushImage(ctx.registry, repo, { reference: 'one' });
      await pushManifest(ctx.registry, repo, 'two', image.manifest);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/one`, { method: 'DELETE' }), 202);
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/one`), 404, 'MANIFEST_UNKNOWN');
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${image.manifest.digest}`, { method: 'HEAD' }), 200);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/two`, { method: 'HEAD' }), 200);
      assert.deepEqual(await tagsOf(ctx, repo), ['two']);
    });

    it('answers an unknown tag with 404 MANIFEST_UNKNOWN', async () => {
      const repo = uniqueRepo('delete');
      await pushImage(ctx.registry, repo, { reference: 'v1' });
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/nope`, { method: 'DELETE' }), 404, 'MANIFEST_UNKNOWN');
      assert.deepEqual(await tagsOf(ctx, repo), ['v1']);
    });
  });

  describe('DELETE /v2/<name>/blobs/<digest>', () => {
    it('deletes the blob (202); GET and HEAD are then 404', async () => {
      const repo = uniqueRepo('delete');
      const digest = await pushBlob(ctx.registry, repo, randomBlob(90));
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'DELETE' }), 202);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' }), 404);
      await expectError(await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    });

    it('removes the blob from that repository only', async () => {
      const repo = uniqueRepo('delete');
      const other = uniqueRepo('delete');
      const blob = randomBlob(90);
      const digest = await pushBlob(ctx.registry, repo, blob);
      await pushBlob(ctx.registry, other, blob);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'DELETE' }), 202);
      const res = await ctx.registry.fetch(`/v2/${other}/blobs/${digest}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob);
    });

    it('answers an unknown blob with 404 BLOB_UNKNOWN', async () => {
      const repo = uniqueRepo('delete');
      await pushBlob(ctx.registry, repo, randomBlob(5));
      await expectError(await ctx.registry.fetch(`/v2/${repo}/blobs/${randomDigest()}`, { method: 'DELETE' }), 404, 'BLOB_UNKNOWN');
    });

    it('rejects a malformed digest with 400 DIGEST_INVALID', async () => {
      const repo = uniqueRepo('delete');
      await pushBlob(ctx.registry, repo, randomBlob(5));
      await expectError(await ctx.registry.fetch(`/v2/${repo}/blobs/sha256:xyz`, { method: 'DELETE' }), 400, 'DIGEST_INVALID');
    });

    it('no longer lets a new manifest reference the deleted blob (MANIFEST_BLOB_UNKNOWN)', async () => {
      const repo = uniqueRepo('delete');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      const layer = image.layers[0]!;
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/blobs/${layer.digest}`, { method: 'DELETE' }), 202);
      const again = imageManifest({ config: descriptorOf(image.config), layers: [descriptorOf(layer)], annotations: { again: 'yes' } });
      await expectError(await putManifest(ctx.registry, repo, 'v2', again), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/v2`), 404, 'MANIFEST_UNKNOWN');
    });

    it('no longer lets another repository mount the deleted blob from here', async () => {
      const repo = uniqueRepo('delete');
      const to = uniqueRepo('delete');
      const digest = await pushBlob(ctx.registry, repo, randomBlob(30));
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'DELETE' }), 202);
      const res = await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${digest}&from=${repo}`, { method: 'POST' });
      await expectStatus(res, 202);
      await expectStatus(await ctx.registry.fetch(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' }), 404);
    });

    it('lets the blob be pushed again afterwards', async () => {
      const repo = uniqueRepo('delete');
      const blob = randomBlob(70);
      const digest = await pushBlob(ctx.registry, repo, blob);
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'DELETE' }), 202);
      await pushBlob(ctx.registry, repo, blob);
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob);
    });
  });
});
