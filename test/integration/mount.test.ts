import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import {
  expectStatus,
  locationPath,
  pushBlob,
  randomBlob,
  randomDigest,
  sha256,
  uniqueRepo,
  withQuery,
} from '../helpers/oci.ts';
import { basicAuthorization } from '../helpers/registry-login.ts';

// distribution-spec "Mounting a blob from another repository".
forEachBackend('cross-repository mount', (ctx) => {
  describe('POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>', () => {
    it('mounts a blob that <other> has: 201 with Location and Docker-Content-Digest', async () => {
      const from = uniqueRepo('mount-src');
      const to = uniqueRepo('mount-dst');
      const blob = randomBlob(400);
      const digest = await pushBlob(ctx.registry, from, blob);
      const res = await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' });
      await expectStatus(res, 201);
      assert.equal(locationPath(ctx.registry, res.headers.get('location')), `/v2/${to}/blobs/${digest}`);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      const get = await ctx.registry.fetch(`/v2/${to}/blobs/${digest}`);
      assert.equal(get.status, 200);
      assert.deepEqual(Buffer.from(await get.arrayBuffer()), blob);
    });

    it('keeps the blob in <other> after mounting', async () => {
      const from = uniqueRepo('mount-src');
      const to = uniqueRepo('mount-dst');
      const digest = await pushBlob(ctx.registry, from, randomBlob(40));
      await expectStatus(await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' }), 201);
      await expectStatus(await ctx.registry.fetch(`/v2/${from}/blobs/${digest}`, { method: 'HEAD' }), 200);
    });

    it('falls back to an upload session (202) when <other> does not have the blob, and that session works', async () => {
      const from = uniqueRepo('mount-src');
      const to = uniqueRepo('mount-dst');
      await pushBlob(ctx.registry, from, randomBlob(10));
      const blob = randomBlob(100);
      const digest = sha256(blob);
      const res = await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' });
      await expectStatus(res, 202);
      const session = locationPath(ctx.registry, res.headers.get('location'));
      assert.ok(session.startsWith(`/v2/${to}/blobs/uploads/`), session);
      await expectStatus(await ctx.registry.fetch(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' }), 404);
      const put = await ctx.registry.fetch(withQuery(session, { digest }), { method: 'PUT', body: blob });
      await expectStatus(put, 201);
      await expectStatus(await ctx.registry.fetch(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' }), 200);
    });

    it('falls back to an upload session (202) when <other> does not exist', async () => {
      const to = uniqueRepo('mount-dst');
      const res = await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${randomDigest()}&from=${uniqueRepo('absent')}`, { method: 'POST' });
      await expectStatus(res, 202);
      assert.ok(res.headers.get('location'));
    });

    it('mounts across names with several path components', async () => {
      const from = `${uniqueRepo('mount')}/deep/er`;
      const to = `${uniqueRepo('mount')}/x/y`;
      const digest = await pushBlob(ctx.registry, from, randomBlob(33));
      const res = await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: 'POST' });
      await expectStatus(res, 201);
      await expectStatus(await ctx.registry.fetch(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' }), 200);
    });
  });

  describe('POST /v2/<name>/blobs/uploads/?mount=<digest> without from', () => {
    it('mounts a blob the registry already has: 201', async () => {
      const from = uniqueRepo('mount-src');
      const to = uniqueRepo('mount-dst');
      const digest = await pushBlob(ctx.registry, from, randomBlob(55));
      // Basic credentials carry all the owner may pull; a token would open only the repositories it names.
      const authorization = basicAuthorization(ctx.registry.credentials!);
      const res = await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${digest}`, { method: 'POST', headers: { authorization } });
      await expectStatus(res, 201);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      assert.equal(locationPath(ctx.registry, res.headers.get('location')), `/v2/${to}/blobs/${digest}`);
      await expectStatus(await ctx.registry.fetch(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' }), 200);
    });

    it('opens an upload session (202) for a blob the registry does not have', async () => {
      const to = uniqueRepo('mount-dst');
      const digest = randomDigest();
      const res = await ctx.registry.fetch(`/v2/${to}/blobs/uploads/?mount=${digest}`, { method: 'POST' });
      await expectStatus(res, 202);
      assert.ok(locationPath(ctx.registry, res.headers.get('location')).startsWith(`/v2/${to}/blobs/uploads/`));
      await expectStatus(await ctx.registry.fetch(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' }), 404);
    });
  });
});
