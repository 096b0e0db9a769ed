import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import {
  expectError,
  expectStatus,
  pushBlob,
  pushImage,
  randomBlob,
  randomDigest,
  uniqueRepo,
  type PushedImage,
} from '../helpers/oci.ts';

// distribution-spec "Pull": GET /v2/, blobs (with ranges) and manifests by tag and by digest.
forEachBackend('pull', (ctx) => {
  describe('GET /v2/', () => {
    it('answers 200 with Docker-Distribution-API-Version: registry/2.0', async () => {
      const res = await ctx.registry.fetch('/v2/');
      await expectStatus(res, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    it('answers HEAD with 200 and no body', async () => {
      const res = await ctx.registry.fetch('/v2/', { method: 'HEAD' });
      assert.equal(await expectStatus(res, 200), '');
    });
  });

  describe('GET and HEAD /v2/<name>/blobs/<digest>', () => {
    const repo = uniqueRepo('pull');
    const blob = randomBlob(1000);
    let digest = '';
    before(async () => {
      digest = await pushBlob(ctx.registry, repo, blob);
    });

    it('returns the exact bytes with Content-Length, Docker-Content-Digest, ETag and Accept-Ranges', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob);
      assert.equal(res.headers.get('content-length'), String(blob.length));
      assert.equal(res.headers.get('docker-content-digest'), digest);
      assert.ok(res.headers.get('etag')?.includes(digest), `ETag ${res.headers.get('etag')}`);
      assert.equal(res.headers.get('accept-ranges'), 'bytes');
    });

    it('answers HEAD with the same headers and no body', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
      assert.equal(await expectStatus(res, 200), '');
      assert.equal(res.headers.get('content-length'), String(blob.length));
      assert.equal(res.headers.get('docker-content-digest'), digest);
      assert.ok(res.headers.get('etag'));
    });

    it('serves a byte range with 206 and Content-Range', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=10-19' } });
      assert.equal(res.status, 206);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.subarray(10, 20));
      assert.equal(res.headers.get('content-range'), `bytes 10-19/${blob.length}`);
      assert.equal(res.headers.get('content-length'), '10');
    });

    it('serves an open-ended range to the end of the blob', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=990-' } });
      assert.equal(res.status, 206);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.subarray(990));
      assert.equal(res.headers.get('content-range'), `bytes 990-999/${blob.length}`);
    });

    it('answers an unsatisfiable range with 416 and Content-Range: bytes */<size>', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=5000-6000' } });
      assert.equal(res.status, 416);
      await res.arrayBuffer();
      assert.equal(res.headers.get('content-range'), `bytes */${blob.length}`);
    });

    it('serves a suffix range (bytes=-N) as the last N bytes', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=-7' } });
      assert.equal(res.status, 206);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.subarray(993));
      assert.equal(res.headers.get('content-range'), `bytes 993-999/${blob.length}`);
    });

    it('serves a single-byte range', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=0-0' } });
      assert.equal(res.status, 206);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.subarray(0, 1));
      assert.equal(res.headers.get('content-range'), `bytes 0-0/${blob.length}`);
    });

    it('clamps a range that runs past the end', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { headers: { range: 'bytes=995-5000' } });
      assert.equal(res.status, 206);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.subarray(995));
      assert.equal(res.headers.get('content-range'), `bytes 995-999/${blob.length}`);
    });

    for (const range of ['bytes=abc', 'items=0-5', 'bytes=5-2', 'bytes=0-1,5-6', 'bytes=']) {
      it(`answers the odd Range ${JSON.stringify(range)} with the whole blob, a range or 416, never a 5xx`, async () => {
        const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${digest}`, { headers: { range } });
        const body = Buffer.from(await res.arrayBuffer());
        assert.ok([200, 206, 416].includes(res.status), `status ${res.status}`);
        if (res.status === 200) assert.deepEqual(body, blob);
      });
    }

    it('answers an unknown blob with 404 BLOB_UNKNOWN', async () => {
      await expectError(await ctx.registry.fetch(`/v2/${repo}/blobs/${randomDigest()}`), 404, 'BLOB_UNKNOWN');
    });

    it('answers HEAD of an unknown blob with 404 and no body', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${randomDigest()}`, { method: 'HEAD' });
      assert.equal(await expectStatus(res, 404), '');
    });

    it('does not serve a blob through a repository it was never pushed to', async () => {
      const other = uniqueRepo('pull-other');
      await pushBlob(ctx.registry, other, randomBlob(10));
      const res = await ctx.registry.fetch(`/v2/${other}/blobs/${digest}`);
      await expectError(res, 404, 'BLOB_UNKNOWN');
    });
  });

  describe('GET and HEAD /v2/<name>/manifests/<reference>', () => {
    const repo = uniqueRepo('pull');
    let image: PushedImage;
    before(async () => {
      image = await pushImage(ctx.registry, repo, { reference: 'v1' });
    });

    for (const by of ['tag', 'digest'] as const) {
      it(`returns the exact manifest bytes by ${by} with Content-Type, Docker-Content-Digest, Content-Length and ETag`, async () => {
        const ref = by === 'tag' ? 'v1' : image.manifest.digest;
        const res = await ctx.registry.fetch(`/v2/${repo}/manifests/${ref}`, { headers: { accept: image.manifest.mediaType } });
        assert.equal(res.status, 200);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest.bytes);
        assert.equal(res.headers.get('content-type'), image.manifest.mediaType);
        assert.equal(res.headers.get('docker-content-digest'), image.manifest.digest);
        assert.equal(res.headers.get('content-length'), String(image.manifest.bytes.length));
        assert.ok(res.headers.get('etag')?.includes(image.manifest.digest), `ETag ${res.headers.get('etag')}`);
      });

      it(`answers HEAD by ${by} with the same headers and no body`, async () => {
        const ref = by === 'tag' ? 'v1' : image.manifest.digest;
        const res = await ctx.registry.fetch(`/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { accept: image.manifest.mediaType } });
        assert.equal(await expectStatus(res, 200), '');
        assert.equal(res.headers.get('content-type'), image.manifest.mediaType);
        assert.equal(res.headers.get('docker-content-digest'), image.manifest.digest);
        assert.equal(res.headers.get('content-length'), String(image.manifest.bytes.length));
      });
    }

    it('pulls every blob the manifest references', async () => {
      for (const blob of [image.config, ...image.layers]) {
        const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${blob.digest}`);
        assert.equal(res.status, 200);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.bytes);
      }
    });

    it('answers an unknown tag with 404 MANIFEST_UNKNOWN', async () => {
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/nope`), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers an unknown digest with 404 MANIFEST_UNKNOWN', async () => {
      await expectError(await ctx.registry.fetch(`/v2/${repo}/manifests/${randomDigest()}`), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers HEAD of an unknown manifest with 404 and no body', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/nope`, { method: 'HEAD' });
      assert.equal(await expectStatus(res, 404), '');
    });

    it('does not serve the manifest through another repository', async () => {
      const other = uniqueRepo('pull-other');
      await pushImage(ctx.registry, other, { reference: 'v1' });
      await expectError(await ctx.registry.fetch(`/v2/${other}/manifests/${image.manifest.digest}`), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers a manifest in an unknown repository with 404', async () => {
      const res = await ctx.registry.fetch(`/v2/${uniqueRepo('absent')}/manifests/latest`);
      await expectError(res, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
    });
  });
});
