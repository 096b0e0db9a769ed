import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import {
  MEDIA,
  expectError,
  expectStatus,
  jsonOf,
  pushImage,
  randomBlob,
  randomDigest,
  rawRequest,
  sha256,
  startUpload,
  uniqueRepo,
  withQuery,
  type PushedImage,
} from '../helpers/oci.ts';

const HEX = 'a'.repeat(64);

/** Requests whose input is wrong in some way; none may ever produce a 5xx. */
function garbage(repo: string, session: string): Array<{ method: string; path: string; headers?: Record<string, string>; body?: Buffer }> {
  const paths = [
    '/v2/UPPER/manifests/latest',
    `/v2/${repo}/manifests/sha256:zzzz`,
    `/v2/${repo}/manifests/sha256%3A${HEX}`,
    `/v2/${repo}/manifests/sha256:${HEX}${HEX}`,
    `/v2/${repo}/manifests/sha999:${HEX}`,
    `/v2/${repo}/manifests/:`,
    `/v2/${repo}/manifests/latest%00`,
    `/v2/${repo}/manifests/${'t'.repeat(5000)}`,
    `/v2/${repo}/blobs/not-a-digest`,
    `/v2/${repo}/blobs/sha256:${HEX.slice(1)}`,
    `/v2/${repo}/blobs/sha256:${HEX.toUpperCase()}`,
    `/v2/${repo}/blobs/sha256:..%2F..%2Fetc%2Fpasswd`,
    `/v2/${repo}/blobs/sha256%2F${HEX}`,
    `/v2/${repo}/blobs/uploads/not-a-uuid`,
    `/v2/${repo}/blobs/uploads/..%2F..%2F..%2Fetc%2Fpasswd`,
    `/v2/${repo}/blobs/uploads/%2e%2e`,
    `/v2/${repo}/referrers/garbage`,
    `/v2/${repo}/referrers/sha256:${HEX}?artifactType=%ff%fe`,
    `/v2/${repo}/tags/list?n=99999999999999999999999999`,
    `/v2/${repo}/tags/list?n=1e400`,
    `/v2/${repo}/tags/list?n=0x10`,
    `/v2/${repo}/tags/list?n=`,
    `/v2/${repo}/tags/list?n=2&n=3`,
    '/v2/_catalog?n=99999999999999999999999999',
    '/v2/_catalog?n=-5',
    '/v2/_catalog?last=%ff',
    `/v2/${repo}/tags/list?n=%00`,
    `/v2/${repo}/manifests/%00`,
    `/v2/${repo}%00/tags/list`,
    '/v2/a%2Fb/tags/list',
    '/v2/a%2f..%2fb/manifests/latest',
    '/v2/%2e%2e/%2e%2e/tags/list',
    '/v2/%ff%fe/tags/list',
    `/v2/${'a'.repeat(300)}/tags/list`,
    `/v2/${Array.from({ length: 200 }, () => 'ab').join('/')}/tags/list`,
    '/v2//manifests/latest',
    '/v2/a//b/manifests/latest',
    '/v2/-a/manifests/latest',
    '/v2/a__/manifests/latest',
    '/v2/a/manifests/',
    '/v2/a/blobs/',
    '/v2/_catalog/extra',
  ];
  const requests: Array<{ method: string; path: string; headers?: Record<string, string>; body?: Buffer }> = [];
  for (const path of paths) for (const method of ['GET', 'HEAD', 'DELETE']) requests.push({ method, path });
  const blob = randomBlob(16);
  requests.push(
    { method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=garbage&from=UPPER` },
    { method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=sha256:${HEX}&from=..%2F..%2Fetc` },
    { method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=&from=` },
    { method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=sha256:${HEX}&from=%00` },
    { method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=sha256:${HEX}&from=${repo}%00` },
    { method: 'POST', path: `/v2/${repo}/blobs/uploads/?digest=garbage`, body: blob },
    { method: 'POST', path: `/v2/${repo}/blobs/uploads/?digest=sha512:${HEX}`, body: blob },
    { method: 'POST', path: '/v2/UPPER/blobs/uploads/' },
    { method: 'PUT', path: withQuery(session, { digest: `sha256:${HEX}/../x` }), body: blob },
    { method: 'PUT', path: withQuery(session, { digest: '' }), body: blob },
    { method: 'PUT', path: `/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, body: blob },
    { method: 'PUT', path: `/v2/${repo}/blobs/${sha256(blob)}`, body: blob },
    { method: 'POST', path: `/v2/${repo}/manifests/latest`, body: blob },
    { method: 'PATCH', path: `/v2/${repo}/manifests/latest`, body: blob },
  );
  for (const range of ['abc', '5-1', '99999999999999999999-999999999999999999999', '-1-14', 'bytes=0-15', '0-', '0-15-20', '0--1']) {
    requests.push({
      method: 'PATCH',
      path: session,
      headers: { 'content-type': 'application/octet-stream', 'content-range': range },
      body: blob,
    });
  }
  const manifestBodies = [
    '',
    '[]',
    'null',
    '"string"',
    '{"schemaVersion":"2"}',
    '{"schemaVersion":2}',
    '{"schemaVersion":1,"fsLayers":[]}',
    `{"schemaVersion":2,"mediaType":"${MEDIA.ociIndex}","manifests":5}`,
    `{"schemaVersion":2,"mediaType":"${MEDIA.ociIndex}","manifests":[{"digest":"bad","size":-1}]}`,
    `{"schemaVersion":2,"mediaType":"${MEDIA.ociManifest}","config":{"digest":"sha256:${HEX}","size":"big"},"layers":{}}`,
    `{"schemaVersion":2,"mediaType":"${MEDIA.ociManifest}","config":{"mediaType":"x","digest":"sha256:${HEX}","size":1},"layers":[null]}`,
    `{"schemaVersion":2,"mediaType":"${MEDIA.ociManifest}","config":{"mediaType":"x","digest":"sha256:${HEX}","size":1},"layers":[],"subject":"nope"}`,
    '{"a":'.repeat(10_000),
  ];
  for (const body of manifestBodies) {
    for (const contentType of [MEDIA.ociManifest, MEDIA.ociIndex, 'text/plain', 'application/vnd.unknown+json']) {
      requests.push({ method: 'PUT', path: `/v2/${repo}/manifests/garbage`, headers: { 'content-type': contentType }, body: Buffer.from(body) });
    }
  }
  return requests;
}

// Our stricter error handling: codes for bad names, the error envelope, and no 5xx for bad input.
forEachBackend('errors', (ctx) => {
  describe('the /v2 error envelope', () => {
    it('renders {"errors":[{"code","message","detail"}]} with the catalog status', async () => {
      const repo = uniqueRepo('errors');
      await pushImage(ctx.registry, repo);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/absent`);
      assert.equal(res.status, 404);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      const body = await jsonOf<{ errors: Array<{ code: string; message: string; detail?: unknown }> }>(res, 404);
      assert.equal(body.errors.length, 1);
      assert.equal(body.errors[0]?.code, 'MANIFEST_UNKNOWN');
      assert.equal(typeof body.errors[0]?.message, 'string');
      assert.ok(body.errors[0]!.message.length > 0);
    });

    it('sends Docker-Distribution-API-Version on errors too', async () => {
      const res = await ctx.registry.fetch(`/v2/${uniqueRepo('errors')}/blobs/${randomDigest()}`);
      await expectStatus(res, 404);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });
  });

  describe('invalid repository names', () => {
    for (const [what, path] of [
      ['GET manifest', '/v2/UPPER/manifests/x'],
      ['GET manifest (nested)', '/v2/ok/Not_Ok/manifests/x'],
      ['GET tags', '/v2/UPPER/tags/list'],
      ['GET blob', `/v2/bad..name/blobs/sha256:${HEX}`],
      ['GET referrers', `/v2/-bad/referrers/sha256:${HEX}`],
    ] as const) {
      it(`answers ${what} for an invalid name with 400 NAME_INVALID`, async () => {
        await expectError(await ctx.registry.fetch(path), 400, 'NAME_INVALID');
      });
    }

    it('rejects an upload to an invalid name with 400 NAME_INVALID and creates nothing', async () => {
      await expectError(await ctx.registry.fetch('/v2/Bad/Name/blobs/uploads/', { method: 'POST' }), 400, 'NAME_INVALID');
      const catalog = await jsonOf<{ repositories: string[] }>(await ctx.registry.fetch('/v2/_catalog'));
      assert.ok(!catalog.repositories.some((r) => r.toLowerCase() === 'bad/name'));
    });

    it('rejects a name longer than 255 characters with 400 NAME_INVALID', async () => {
      const long = Array.from({ length: 30 }, () => 'abcdefghi').join('/');
      await expectError(await ctx.registry.fetch(`/v2/${long}/tags/list`), 400, 'NAME_INVALID');
    });

    it('rejects a manifest PUT to an invalid name with 400 NAME_INVALID', async () => {
      const res = await ctx.registry.fetch('/v2/UPPER/manifests/latest', {
        method: 'PUT',
        headers: { 'content-type': MEDIA.ociManifest },
        body: '{}',
      });
      await expectError(res, 400, 'NAME_INVALID');
    });
  });

  describe('literal dot segments in the path', () => {
    for (const path of ['/v2/a/../../etc/passwd/manifests/latest', '/v2/../_catalog', '/v2/a/./b/tags/list', '/v2/a/blobs/uploads/../../../x']) {
      it(`answers ${path} without a 5xx`, async () => {
        const res = await rawRequest(ctx.registry, `GET ${path} HTTP/1.1`, Buffer.alloc(0), { halfClose: false });
        assert.ok(res.status !== undefined, 'server answered');
        assert.ok(res.status < 500, res.text.slice(0, 300));
      });
    }
  });

  describe('NUL bytes and invalid UTF-8 in query parameters', () => {
    let repo = '';
    let subject = '';
    before(async () => {
      repo = uniqueRepo('errors');
      subject = (await pushImage(ctx.registry, repo, { reference: 'v1' })).manifest.digest;
    });
    const cases: Array<[string, (repo: string, subject: string) => string]> = [
      ['tags/list ?last=%00', (r) => `/v2/${r}/tags/list?last=%00`],
      ['tags/list ?last=%00%ff', (r) => `/v2/${r}/tags/list?last=%00%ff`],
      ['tags/list ?last=%ff', (r) => `/v2/${r}/tags/list?last=%ff`],
      ['_catalog ?last=%00', () => '/v2/_catalog?last=%00'],
      ['_catalog ?n=2&last=%00', () => '/v2/_catalog?n=2&last=%00'],
      ['referrers ?artifactType=%00', (r, d) => `/v2/${r}/referrers/${d}?artifactType=%00`],
      ['referrers ?artifactType=a%00b', (r, d) => `/v2/${r}/referrers/${d}?artifactType=a%00b`],
    ];
    for (const [what, path] of cases) {
      it(`answers ${what} with 200 or 400, never a 5xx`, async () => {
        const res = await ctx.registry.fetch(path(repo, subject));
        const text = await res.text();
        assert.ok(res.status === 200 || res.status === 400, `${res.status}: ${text.slice(0, 200)}`);
      });
    }
  });

  describe('garbage input', () => {
    let repo = '';
    let session = '';
    let image: PushedImage;
    before(async () => {
      repo = uniqueRepo('errors');
      image = await pushImage(ctx.registry, repo, { reference: 'latest' });
      session = await startUpload(ctx.registry, repo);
    });

    it('never answers with a 5xx', async () => {
      const failures: string[] = [];
      for (const req of garbage(repo, session)) {
        const res = await ctx.registry.fetch(req.path, { method: req.method, headers: req.headers, body: req.body });
        const text = await res.text();
        if (res.status >= 500) failures.push(`${req.method} ${req.path.slice(0, 120)} -> ${res.status} ${text.slice(0, 200)}`);
      }
      assert.deepEqual(failures, []);
    });

    it('left the repository as it was', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/latest`);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest.bytes);
      const tags = await jsonOf<{ tags: string[] }>(await ctx.registry.fetch(`/v2/${repo}/tags/list`));
      assert.deepEqual(tags.tags, ['latest']);
    });
  });
});
