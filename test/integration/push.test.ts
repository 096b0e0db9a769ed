import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import {
  EMPTY_SHA256,
  expectError,
  expectStatus,
  locationPath,
  randomBlob,
  rawRequest,
  sha256,
  sha512,
  startUpload,
  uniqueRepo,
  withQuery,
  type Registry,
} from '../helpers/oci.ts';

async function expectBlob(reg: Registry, repo: string, digest: string, bytes: Buffer): Promise<void> {
  const res = await reg.fetch(`/v2/${repo}/blobs/${digest}`);
  assert.equal(res.status, 200, `blob ${digest} should be readable`);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  assert.equal(res.headers.get('docker-content-digest'), digest);
}

async function expectNoBlob(reg: Registry, repo: string, digest: string): Promise<void> {
  const res = await reg.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  await expectStatus(res, 404);
}

// distribution-spec "Push": opening sessions, monolithic POST, POST-then-PUT, digest checks.
forEachBackend('push', (ctx) => {
  describe('POST /v2/<name>/blobs/uploads/', () => {
    it('opens a session: 202 with Location and Docker-Upload-UUID', async () => {
      const repo = uniqueRepo('push');
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      await expectStatus(res, 202);
      const location = locationPath(ctx.registry, res.headers.get('location'));
      assert.ok(location.startsWith(`/v2/${repo}/blobs/uploads/`), location);
      assert.ok(res.headers.get('docker-upload-uuid'), 'Docker-Upload-UUID');
      // A new session has no bytes; clients must not rely on Range here, but if sent it says 0-0.
      const range = res.headers.get('range');
      if (range !== null) assert.equal(range, '0-0');
    });

    it('gives each session its own Location', async () => {
      const repo = uniqueRepo('push');
      const a = await startUpload(ctx.registry, repo);
      const b = await startUpload(ctx.registry, repo);
      assert.notEqual(a, b);
    });

    it('accepts a monolithic upload with ?digest= and the body: 201, Location and Docker-Content-Digest', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(300);
      const digest = sha256(blob);
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: blob,
      });
      await expectStatus(res, 201);
      assert.equal(locationPath(ctx.registry, res.headers.get('location')), `/v2/${repo}/blobs/${digest}`);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      await expectBlob(ctx.registry, repo, digest, blob);
    });

    it('accepts a monolithic upload of the empty blob', async () => {
      const repo = uniqueRepo('push');
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/uploads/?digest=${EMPTY_SHA256}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': '0' },
      });
      await expectStatus(res, 201);
      assert.equal(res.headers.get('docker-content-digest'), EMPTY_SHA256);
      await expectBlob(ctx.registry, repo, EMPTY_SHA256, Buffer.alloc(0));
    });

    it('rejects a monolithic upload whose body does not match ?digest= with DIGEST_INVALID and stores nothing', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(100);
      const claimed = sha256(randomBlob(100));
      const res = await ctx.registry.fetch(`/v2/${repo}/blobs/uploads/?digest=${claimed}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: blob,
      });
      await expectError(res, 400, 'DIGEST_INVALID');
      await expectNoBlob(ctx.registry, repo, claimed);
      await expectNoBlob(ctx.registry, repo, sha256(blob));
    });
  });

  describe('PUT <upload location>?digest=', () => {
    it('completes a POST-then-PUT upload: 201 with Location /v2/<name>/blobs/<digest>', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(500);
      const digest = sha256(blob);
      const session = await startUpload(ctx.registry, repo);
      const res = await ctx.registry.fetch(withQuery(session, { digest }), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: blob,
      });
      await expectStatus(res, 201);
      assert.equal(locationPath(ctx.registry, res.headers.get('location')), `/v2/${repo}/blobs/${digest}`);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      await expectBlob(ctx.registry, repo, digest, blob);
    });

    it('ends the session once the blob is committed', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(20);
      const session = await startUpload(ctx.registry, repo);
      const put = await ctx.registry.fetch(withQuery(session, { digest: sha256(blob) }), { method: 'PUT', body: blob });
      await expectStatus(put, 201);
      await expectError(await ctx.registry.fetch(session), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('rejects a body that does not hash to the digest with DIGEST_INVALID; the blob is not visible', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(200);
      const wrong = sha256(Buffer.concat([blob, Buffer.from('x')]));
      const session = await startUpload(ctx.registry, repo);
      const res = await ctx.registry.fetch(withQuery(session, { digest: wrong }), { method: 'PUT', body: blob });
      await expectError(res, 400, 'DIGEST_INVALID');
      await expectNoBlob(ctx.registry, repo, wrong);
      await expectNoBlob(ctx.registry, repo, sha256(blob));
    });

    for (const bad of ['sha256:abc', 'sha256:' + 'Z'.repeat(64), 'nope', 'md5:d41d8cd98f00b204e9800998ecf8427e', 'sha256:']) {
      it(`rejects the malformed digest ${JSON.stringify(bad)} with 400 DIGEST_INVALID`, async () => {
        const repo = uniqueRepo('push');
        const blob = randomBlob(10);
        const session = await startUpload(ctx.registry, repo);
        const res = await ctx.registry.fetch(withQuery(session, { digest: bad }), { method: 'PUT', body: blob });
        await expectError(res, 400, 'DIGEST_INVALID');
        await expectNoBlob(ctx.registry, repo, sha256(blob));
      });
    }

    it('rejects a PUT without ?digest= with 400 and stores nothing', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(10);
      const session = await startUpload(ctx.registry, repo);
      const res = await ctx.registry.fetch(session, { method: 'PUT', body: blob });
      await expectError(res, 400, ['DIGEST_INVALID', 'BLOB_UPLOAD_INVALID']);
      await expectNoBlob(ctx.registry, repo, sha256(blob));
    });

    it('stores a zero-length blob (Content-Length: 0, digest of the empty string)', async () => {
      const repo = uniqueRepo('push');
      const session = await startUpload(ctx.registry, repo);
      const res = await ctx.registry.fetch(withQuery(session, { digest: EMPTY_SHA256 }), {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': '0' },
      });
      await expectStatus(res, 201);
      const head = await ctx.registry.fetch(`/v2/${repo}/blobs/${EMPTY_SHA256}`, { method: 'HEAD' });
      await expectStatus(head, 200);
      assert.equal(head.headers.get('content-length'), '0');
      assert.equal(head.headers.get('docker-content-digest'), EMPTY_SHA256);
    });

    it('stores a blob named by a sha512 digest', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(777);
      const digest = sha512(blob);
      const session = await startUpload(ctx.registry, repo);
      const res = await ctx.registry.fetch(withQuery(session, { digest }), { method: 'PUT', body: blob });
      await expectStatus(res, 201);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      await expectBlob(ctx.registry, repo, digest, blob);
    });

    it('pushing the same blob twice is idempotent', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(64);
      for (let i = 0; i < 2; i++) {
        const session = await startUpload(ctx.registry, repo);
        await expectStatus(await ctx.registry.fetch(withQuery(session, { digest: sha256(blob) }), { method: 'PUT', body: blob }), 201);
      }
      await expectBlob(ctx.registry, repo, sha256(blob), blob);
    });

    it('accepts the same blob uploaded concurrently through several sessions', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(4096);
      const digest = sha256(blob);
      const sessions = await Promise.all(Array.from({ length: 5 }, () => startUpload(ctx.registry, repo)));
      const results = await Promise.all(
        sessions.map(async (session) => {
          const res = await ctx.registry.fetch(withQuery(session, { digest }), { method: 'PUT', body: blob });
          return { status: res.status, text: await res.text() };
        }),
      );
      assert.deepEqual(results.filter((r) => r.status !== 201), []);
      await expectBlob(ctx.registry, repo, digest, blob);
    });

    it('accepts the same blob pushed concurrently to different repositories', async () => {
      const blob = randomBlob(2048);
      const digest = sha256(blob);
      const repos = Array.from({ length: 4 }, () => uniqueRepo('push'));
      const statuses = await Promise.all(
        repos.map(async (repo) => {
          const res = await ctx.registry.fetch(`/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      assert.deepEqual(statuses, repos.map(() => 201));
      for (const repo of repos) await expectBlob(ctx.registry, repo, digest, blob);
    });

    it('answers a body shorter than its Content-Length with 400 (never 2xx or 5xx) and writes nothing', async () => {
      const repo = uniqueRepo('push');
      const blob = randomBlob(100);
      const digest = sha256(blob);
      const session = await startUpload(ctx.registry, repo);
      const path = withQuery(session, { digest });
      const res = await rawRequest(
        ctx.registry,
        `PUT ${path} HTTP/1.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 200`,
        blob,
      );
      // The server may drop the half-closed connection instead of answering, or answer from the
      // HTTP layer before the route sees the request; both are fine, a 2xx or 5xx is not.
      if (res.status !== undefined) {
        assert.equal(res.status, 400, res.text.slice(0, 400));
        const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(res.text)?.[1];
        if (code !== undefined) assert.ok(['SIZE_INVALID', 'BLOB_UPLOAD_INVALID'].includes(code), code);
      }
      await expectNoBlob(ctx.registry, repo, digest);
    });
  });
});
