import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import {
  expectError,
  expectStatus,
  locationPath,
  randomBlob,
  sha256,
  startUpload,
  uniqueRepo,
  withQuery,
  type Registry,
} from '../helpers/oci.ts';

/** PATCHes one chunk with Content-Range `<start>-<end>`; returns the response (body unread). */
function patchChunk(reg: Registry, session: string, chunk: Buffer, start: number) {
  return reg.fetch(session, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/octet-stream',
      'content-range': `${start}-${start + chunk.length - 1}`,
      'content-length': String(chunk.length),
    },
    body: chunk,
  });
}

/** PATCHes a chunk, asserts 202 with Range 0-<end>, returns the next Location. */
async function acceptedChunk(reg: Registry, session: string, chunk: Buffer, start: number): Promise<string> {
  const res = await patchChunk(reg, session, chunk, start);
  await expectStatus(res, 202);
  assert.equal(res.headers.get('range'), `0-${start + chunk.length - 1}`);
  return locationPath(reg, res.headers.get('location'));
}

async function uploadStatus(reg: Registry, session: string): Promise<{ range: string | null; location: string }> {
  const res = await reg.fetch(session);
  await expectStatus(res, 204);
  assert.ok(res.headers.get('docker-upload-uuid'), 'Docker-Upload-UUID');
  return { range: res.headers.get('range'), location: locationPath(reg, res.headers.get('location')) };
}

async function finish(reg: Registry, session: string, digest: string, last?: { chunk: Buffer; start: number }) {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (last) headers['content-range'] = `${last.start}-${last.start + last.chunk.length - 1}`;
  return reg.fetch(withQuery(session, { digest }), { method: 'PUT', headers, body: last?.chunk ?? Buffer.alloc(0) });
}

async function expectBlob(reg: Registry, repo: string, bytes: Buffer): Promise<void> {
  const res = await reg.fetch(`/v2/${repo}/blobs/${sha256(bytes)}`);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
}

async function expectNoBlob(reg: Registry, repo: string, digest: string): Promise<void> {
  await expectStatus(await reg.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' }), 404);
}

// distribution-spec "Pushing a blob in chunks" and upload session management.
forEachBackend('chunked upload', (ctx) => {
  describe('PATCH <upload location>', () => {
    it('accepts chunks in order, reporting Range 0-<end> and a Location each time, then PUT commits', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(3000);
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(0, 1000), 0);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(1000, 2500), 1000);
      const res = await finish(ctx.registry, session, sha256(blob), { chunk: blob.subarray(2500), start: 2500 });
      await expectStatus(res, 201);
      assert.equal(locationPath(ctx.registry, res.headers.get('location')), `/v2/${repo}/blobs/${sha256(blob)}`);
      assert.equal(res.headers.get('docker-content-digest'), sha256(blob));
      await expectBlob(ctx.registry, repo, blob);
    });

    it('assembles a multi-megabyte blob from large chunks and serves ranges of it', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(6 * 1024 * 1024 + 17);
      const size = 2 * 1024 * 1024;
      let session = await startUpload(ctx.registry, repo);
      for (let start = 0; start < blob.length; start += size) {
        session = await acceptedChunk(ctx.registry, session, blob.subarray(start, Math.min(start + size, blob.length)), start);
      }
      await expectStatus(await finish(ctx.registry, session, sha256(blob)), 201);
      await expectBlob(ctx.registry, repo, blob);
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/${sha256(blob)}`, { headers: { range: `bytes=${size - 5}-${size + 4}` } });
      assert.equal(res.status, 206);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.subarray(size - 5, size + 5));
    });

    it('commits with a final PUT that carries no body', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(2048);
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(0, 1024), 0);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(1024), 1024);
      await expectStatus(await finish(ctx.registry, session, sha256(blob)), 201);
      await expectBlob(ctx.registry, repo, blob);
    });

    it('appends streamed PATCHes sent without Content-Range', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(1500);
      let session = await startUpload(ctx.registry, repo);
      for (const [start, end] of [[0, 700], [700, 1500]] as const) {
        const res = await ctx.registry.fetch(session, {
          method: 'PATCH',
          headers: { 'content-type': 'application/octet-stream' },
          body: blob.subarray(start, end),
        });
        await expectStatus(res, 202);
        assert.equal(res.headers.get('range'), `0-${end - 1}`);
        session = locationPath(ctx.registry, res.headers.get('location'));
      }
      await expectStatus(await finish(ctx.registry, session, sha256(blob)), 201);
      await expectBlob(ctx.registry, repo, blob);
    });

    it('accepts a PATCH streamed with Transfer-Encoding: chunked, as docker sends layers', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(300 * 1024);
      const session = await startUpload(ctx.registry, repo);
      const parts = [blob.subarray(0, 100 * 1024), blob.subarray(100 * 1024, 250 * 1024), blob.subarray(250 * 1024)];
      const res = await ctx.registry.fetch(session, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream' },
        body: Readable.from(parts),
        duplex: 'half',
      });
      await expectStatus(res, 202);
      assert.equal(res.headers.get('range'), `0-${blob.length - 1}`);
      const next = locationPath(ctx.registry, res.headers.get('location'));
      await expectStatus(await finish(ctx.registry, next, sha256(blob)), 201);
      await expectBlob(ctx.registry, repo, blob);
    });

    it('rejects an out-of-order chunk with 416 RANGE_INVALID and keeps the offset', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(200);
      let session = await startUpload(ctx.registry, repo);
      await expectError(await patchChunk(ctx.registry, session, blob.subarray(100), 100), 416, 'RANGE_INVALID');
      session = await acceptedChunk(ctx.registry, session, blob.subarray(0, 100), 0);
      await expectError(await patchChunk(ctx.registry, session, blob.subarray(150), 150), 416, 'RANGE_INVALID');
      const status = await uploadStatus(ctx.registry, session);
      assert.equal(status.range, '0-99');
      session = await acceptedChunk(ctx.registry, status.location, blob.subarray(100), 100);
      await expectStatus(await finish(ctx.registry, session, sha256(blob)), 201);
      await expectBlob(ctx.registry, repo, blob);
    });

    it('rejects an overlapping chunk with 416 RANGE_INVALID and keeps the offset', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(200);
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(0, 100), 0);
      await expectError(await patchChunk(ctx.registry, session, blob.subarray(50, 150), 50), 416, 'RANGE_INVALID');
      const status = await uploadStatus(ctx.registry, session);
      assert.equal(status.range, '0-99');
      session = await acceptedChunk(ctx.registry, status.location, blob.subarray(100), 100);
      await expectStatus(await finish(ctx.registry, session, sha256(blob)), 201);
      await expectBlob(ctx.registry, repo, blob);
    });

    it('rejects a Content-Range that disagrees with the body length (never 2xx or 5xx) and keeps the offset', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(100);
      let session = await startUpload(ctx.registry, repo);
      const res = await ctx.registry.fetch(session, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-range': '0-199', 'content-length': '100' },
        body: blob,
      });
      const allowed: Record<number, string[]> = { 400: ['SIZE_INVALID', 'BLOB_UPLOAD_INVALID'], 416: ['RANGE_INVALID'] };
      const codes = allowed[res.status];
      assert.ok(codes, `unexpected status ${res.status}`);
      await expectError(res, res.status, codes);
      session = await acceptedChunk(ctx.registry, session, blob, 0);
      await expectStatus(await finish(ctx.registry, session, sha256(blob)), 201);
    });
  });

  describe('GET <upload location>', () => {
    it('reports progress with 204, Range, Location and Docker-Upload-UUID', async () => {
      const repo = uniqueRepo('chunked');
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, randomBlob(64), 0);
      const status = await uploadStatus(ctx.registry, session);
      assert.equal(status.range, '0-63');
      assert.ok(status.location.startsWith(`/v2/${repo}/blobs/uploads/`), status.location);
    });

    it('lets a new client resume from the reported Range end', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(4096);
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(0, 1000), 0);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(1000, 2000), 1000);
      // A second client that only knows the upload URL asks where to continue.
      const status = await uploadStatus(ctx.registry, session);
      const match = /^0-(\d+)$/.exec(status.range ?? '');
      assert.ok(match, `Range ${status.range}`);
      const next = Number(match[1]) + 1;
      assert.equal(next, 2000);
      const resumed = await acceptedChunk(ctx.registry, status.location, blob.subarray(next, 3000), next);
      await expectStatus(await finish(ctx.registry, resumed, sha256(blob), { chunk: blob.subarray(3000), start: 3000 }), 201);
      await expectBlob(ctx.registry, repo, blob);
    });
  });

  describe('PUT <upload location>?digest= after chunks', () => {
    it('rejects a digest that does not match the assembled chunks with DIGEST_INVALID; nothing is visible', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(300);
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, blob.subarray(0, 150), 0);
      const wrong = sha256(blob.subarray(0, 150));
      await expectError(await finish(ctx.registry, session, wrong, { chunk: blob.subarray(150), start: 150 }), 400, 'DIGEST_INVALID');
      await expectNoBlob(ctx.registry, repo, wrong);
      await expectNoBlob(ctx.registry, repo, sha256(blob));
    });
  });

  describe('a committed upload', () => {
    it('accepts no further chunks (404 BLOB_UPLOAD_UNKNOWN) and the blob stays intact', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(100);
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, blob, 0);
      await expectStatus(await finish(ctx.registry, session, sha256(blob)), 201);
      await expectError(await patchChunk(ctx.registry, session, randomBlob(10), 100), 404, 'BLOB_UPLOAD_UNKNOWN');
      await expectBlob(ctx.registry, repo, blob);
    });
  });

  describe('DELETE <upload location>', () => {
    it('cancels the session with 204; the session is then unknown', async () => {
      const repo = uniqueRepo('chunked');
      const blob = randomBlob(50);
      let session = await startUpload(ctx.registry, repo);
      session = await acceptedChunk(ctx.registry, session, blob, 0);
      await expectStatus(await ctx.registry.fetch(session, { method: 'DELETE' }), 204);
      await expectError(await ctx.registry.fetch(session), 404, 'BLOB_UPLOAD_UNKNOWN');
      await expectError(await finish(ctx.registry, session, sha256(blob)), 404, 'BLOB_UPLOAD_UNKNOWN');
      await expectNoBlob(ctx.registry, repo, sha256(blob));
    });
  });

  describe('an unknown upload id', () => {
    const path = (repo: string) => `/v2/${repo}/blobs/uploads/${randomUUID()}`;

    it('answers GET with 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const repo = uniqueRepo('chunked');
      await startUpload(ctx.registry, repo);
      await expectError(await ctx.registry.fetch(path(repo)), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('answers PATCH with 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const repo = uniqueRepo('chunked');
      await startUpload(ctx.registry, repo);
      await expectError(await patchChunk(ctx.registry, path(repo), randomBlob(10), 0), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('answers PUT with 404 BLOB_UPLOAD_UNKNOWN and stores nothing', async () => {
      const repo = uniqueRepo('chunked');
      await startUpload(ctx.registry, repo);
      const blob = randomBlob(10);
      const res = await ctx.registry.fetch(withQuery(path(repo), { digest: sha256(blob) }), { method: 'PUT', body: blob });
      await expectError(res, 404, 'BLOB_UPLOAD_UNKNOWN');
      await expectNoBlob(ctx.registry, repo, sha256(blob));
    });

    it('answers DELETE with 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const repo = uniqueRepo('chunked');
      await startUpload(ctx.registry, repo);
      await expectError(await ctx.registry.fetch(path(repo), { method: 'DELETE' }), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('does not let one repository use another repository\'s session', async () => {
      const repo = uniqueRepo('chunked');
      const session = await startUpload(ctx.registry, repo);
      const other = uniqueRepo('chunked');
      await startUpload(ctx.registry, other);
      const foreign = session.replace(`/v2/${repo}/`, `/v2/${other}/`);
      await expectError(await ctx.registry.fetch(foreign), 404, 'BLOB_UPLOAD_UNKNOWN');
    });
  });
});
