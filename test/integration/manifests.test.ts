import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachBackend, type BackendContext } from '../helpers/backends.ts';
import {
  MEDIA,
  content,
  descriptorOf,
  expectError,
  expectStatus,
  imageIndex,
  imageManifest,
  jsonOf,
  layerBlob,
  configBlob,
  locationPath,
  pushBlob,
  pushImage,
  pushManifest,
  putManifest,
  randomDigest,
  sha256,
  uniqueRepo,
  type Content,
} from '../helpers/oci.ts';

type Builder = (ctx: BackendContext, repo: string) => Promise<Content>;

/** One manifest of each media type we accept, with everything it references already pushed. */
const KINDS: Record<string, Builder> = {
  [MEDIA.ociManifest]: async (ctx, repo) => {
    const config = configBlob();
    const layer = layerBlob();
    await pushBlob(ctx.registry, repo, config.bytes);
    await pushBlob(ctx.registry, repo, layer.bytes);
    return imageManifest({ config: descriptorOf(config), layers: [descriptorOf(layer)], annotations: { 'org.example': 'x' } });
  },
  [MEDIA.dockerManifest]: async (ctx, repo) => {
    const config = configBlob(MEDIA.dockerConfig);
    const layer = layerBlob(128, MEDIA.dockerLayer);
    await pushBlob(ctx.registry, repo, config.bytes);
    await pushBlob(ctx.registry, repo, layer.bytes);
    return imageManifest({ mediaType: MEDIA.dockerManifest, config: descriptorOf(config), layers: [descriptorOf(layer)] });
  },
  [MEDIA.ociIndex]: async (ctx, repo) => {
    const amd = await pushImage(ctx.registry, repo);
    const arm = await pushImage(ctx.registry, repo);
    return imageIndex([
      descriptorOf(amd.manifest, { platform: { architecture: 'amd64', os: 'linux' } }),
      descriptorOf(arm.manifest, { platform: { architecture: 'arm64', os: 'linux' } }),
    ]);
  },
  [MEDIA.dockerList]: async (ctx, repo) => {
    const amd = await pushImage(ctx.registry, repo, { mediaType: MEDIA.dockerManifest });
    return imageIndex([descriptorOf(amd.manifest, { platform: { architecture: 'amd64', os: 'linux' } })], {
      mediaType: MEDIA.dockerList,
    });
  },
};

async function expectNoManifest(ctx: BackendContext, repo: string, reference: string): Promise<void> {
  const res = await ctx.registry.fetch(`/v2/${repo}/manifests/${reference}`);
  await expectError(res, 404, ['MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);
}

// distribution-spec "Pushing Manifests" and "Pulling manifests".
forEachBackend('manifests', (ctx) => {
  for (const [mediaType, build] of Object.entries(KINDS)) {
    describe(`PUT /v2/<name>/manifests/<reference> with ${mediaType}`, () => {
      for (const by of ['tag', 'digest'] as const) {
        it(`stores the exact bytes by ${by}: 201, Location and Docker-Content-Digest = sha256 of the body`, async () => {
          const repo = uniqueRepo('manifests');
          const manifest = await build(ctx, repo);
          const reference = by === 'tag' ? 'release-1.0' : manifest.digest;
          const res = await pushManifest(ctx.registry, repo, reference, manifest);
          assert.equal(res.headers.get('docker-content-digest'), sha256(manifest.bytes));
          assert.equal(locationPath(ctx.registry, res.headers.get('location')), `/v2/${repo}/manifests/${manifest.digest}`);

          for (const ref of by === 'tag' ? [reference, manifest.digest] : [reference]) {
            const get = await ctx.registry.fetch(`/v2/${repo}/manifests/${ref}`, { headers: { accept: mediaType } });
            assert.equal(get.status, 200);
            assert.deepEqual(Buffer.from(await get.arrayBuffer()), manifest.bytes, 'byte-identical body');
            assert.equal(get.headers.get('content-type'), mediaType);
            assert.equal(get.headers.get('docker-content-digest'), manifest.digest);
            assert.equal(get.headers.get('content-length'), String(manifest.bytes.length));
            assert.ok(get.headers.get('etag'), 'ETag');
            const head = await ctx.registry.fetch(`/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { accept: mediaType } });
            assert.equal(await expectStatus(head, 200), '');
            assert.equal(head.headers.get('content-type'), mediaType);
            assert.equal(head.headers.get('docker-content-digest'), manifest.digest);
          }
        });
      }
    });
  }

  describe('PUT /v2/<name>/manifests/<reference> referencing what the repository lacks', () => {
    it('rejects a missing layer with 400 MANIFEST_BLOB_UNKNOWN and creates no tag', async () => {
      const repo = uniqueRepo('manifests');
      const config = configBlob();
      await pushBlob(ctx.registry, repo, config.bytes);
      const manifest = imageManifest({ config: descriptorOf(config), layers: [descriptorOf(layerBlob())] });
      await expectError(await putManifest(ctx.registry, repo, 'latest', manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNoManifest(ctx, repo, 'latest');
      await expectNoManifest(ctx, repo, manifest.digest);
    });

    it('rejects a missing config with 400 MANIFEST_BLOB_UNKNOWN and creates no tag', async () => {
      const repo = uniqueRepo('manifests');
      const layer = layerBlob();
      await pushBlob(ctx.registry, repo, layer.bytes);
      const manifest = imageManifest({ config: descriptorOf(configBlob()), layers: [descriptorOf(layer)] });
      await expectError(await putManifest(ctx.registry, repo, 'latest', manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNoManifest(ctx, repo, 'latest');
    });

    it('rejects a layer that exists only in another repository with MANIFEST_BLOB_UNKNOWN', async () => {
      const repo = uniqueRepo('manifests');
      const other = uniqueRepo('manifests');
      const config = configBlob();
      const layer = layerBlob();
      await pushBlob(ctx.registry, repo, config.bytes);
      await pushBlob(ctx.registry, other, layer.bytes);
      const manifest = imageManifest({ config: descriptorOf(config), layers: [descriptorOf(layer)] });
      await expectError(await putManifest(ctx.registry, repo, 'latest', manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNoManifest(ctx, repo, 'latest');
    });

    for (const [listType, childType] of [[MEDIA.ociIndex, MEDIA.ociManifest], [MEDIA.dockerList, MEDIA.dockerManifest]] as const) {
      it(`rejects a ${listType} whose child manifest is absent with 400 MANIFEST_BLOB_UNKNOWN`, async () => {
        const repo = uniqueRepo('manifests');
        const present = await pushImage(ctx.registry, repo, { mediaType: childType });
        const index = imageIndex(
          [descriptorOf(present.manifest), { mediaType: childType, digest: randomDigest(), size: 500 }],
          { mediaType: listType },
        );
        await expectError(await putManifest(ctx.registry, repo, 'multi', index), 400, 'MANIFEST_BLOB_UNKNOWN');
        await expectNoManifest(ctx, repo, 'multi');
        await expectNoManifest(ctx, repo, index.digest);
      });
    }

    it('rejects an index whose child exists only in another repository with MANIFEST_BLOB_UNKNOWN', async () => {
      const repo = uniqueRepo('manifests');
      const other = uniqueRepo('manifests');
      const foreign = await pushImage(ctx.registry, other);
      const index = imageIndex([descriptorOf(foreign.manifest)]);
      await expectError(await putManifest(ctx.registry, repo, 'multi', index), 400, 'MANIFEST_BLOB_UNKNOWN');
      await expectNoManifest(ctx, repo, 'multi');
    });

    it('accepts a subject that does not exist (201) and answers with OCI-Subject', async () => {
      const repo = uniqueRepo('manifests');
      const subject = randomDigest();
      const config = configBlob();
      await pushBlob(ctx.registry, repo, config.bytes);
      const manifest = imageManifest({
        config: descriptorOf(config),
        layers: [],
        subject: { mediaType: MEDIA.ociManifest, digest: subject, size: 123 },
      });
      const res = await pushManifest(ctx.registry, repo, manifest.digest, manifest);
      assert.equal(res.headers.get('oci-subject'), subject);
    });
  });

  describe('PUT /v2/<name>/manifests/<reference> with a bad body', () => {
    let repo = '';
    let valid: Content;
    before(async () => {
      repo = uniqueRepo('manifests');
      valid = await KINDS[MEDIA.ociManifest]!(ctx, repo);
    });

    it('rejects invalid JSON with 400 MANIFEST_INVALID and stores nothing', async () => {
      const bad: Content = { bytes: Buffer.from('{"schemaVersion": 2, "config": '), digest: '', mediaType: MEDIA.ociManifest };
      await expectError(await putManifest(ctx.registry, repo, 'broken', bad), 400, 'MANIFEST_INVALID');
      await expectNoManifest(ctx, repo, 'broken');
    });

    it('rejects JSON that is not a manifest (no config) with 400 MANIFEST_INVALID', async () => {
      const bad = content({ schemaVersion: 2, mediaType: MEDIA.ociManifest, layers: [] }, MEDIA.ociManifest);
      await expectError(await putManifest(ctx.registry, repo, 'noconfig', bad), 400, 'MANIFEST_INVALID');
      await expectNoManifest(ctx, repo, 'noconfig');
    });

    it('rejects a PUT by digest whose digest does not match the body with 400 DIGEST_INVALID', async () => {
      const claimed = randomDigest();
      await expectError(await putManifest(ctx.registry, repo, claimed, valid), 400, 'DIGEST_INVALID');
      await expectNoManifest(ctx, repo, claimed);
      await expectNoManifest(ctx, repo, valid.digest);
    });

    it('rejects a manifest larger than 4 MiB with 413 MANIFEST_INVALID', async () => {
      const big = JSON.parse(valid.bytes.toString()) as Record<string, unknown>;
      big['annotations'] = { padding: 'x'.repeat(4 * 1024 * 1024 + 10) };
      const huge = content(big, MEDIA.ociManifest);
      await expectError(await putManifest(ctx.registry, repo, 'huge', huge), 413, 'MANIFEST_INVALID');
      await expectNoManifest(ctx, repo, 'huge');
    });

    it('accepts a manifest of exactly 4 MiB', async () => {
      const base = JSON.parse(valid.bytes.toString()) as Record<string, unknown>;
      base['annotations'] = { padding: '' };
      const empty = content(base, MEDIA.ociManifest).bytes.length;
      base['annotations'] = { padding: 'x'.repeat(4 * 1024 * 1024 - empty) };
      const exact = content(base, MEDIA.ociManifest);
      assert.equal(exact.bytes.length, 4 * 1024 * 1024);
      await pushManifest(ctx.registry, repo, 'four-mib', exact);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/four-mib`, { method: 'HEAD' });
      await expectStatus(res, 200);
      assert.equal(res.headers.get('content-length'), String(4 * 1024 * 1024));
    });

    it('stores a manifest without a mediaType field under the Content-Type it was PUT with', async () => {
      const body = JSON.parse(valid.bytes.toString()) as Record<string, unknown>;
      delete body['mediaType'];
      const bare = content(body, MEDIA.ociManifest);
      await pushManifest(ctx.registry, repo, 'bare', bare);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/bare`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), MEDIA.ociManifest);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bare.bytes);
    });

    for (const tag of ['-leading-dash', '.dot', 'a'.repeat(129), 'spa%20ce']) {
      it(`rejects the invalid tag ${JSON.stringify(tag.slice(0, 20))} with 400`, async () => {
        await expectError(await putManifest(ctx.registry, repo, tag, valid), 400, ['TAG_INVALID', 'MANIFEST_INVALID']);
        await expectNoManifest(ctx, repo, valid.digest);
      });
    }
  });

  describe('tags as mutable pointers', () => {
    it('moves a tag to a new manifest and keeps the old one by digest', async () => {
      const repo = uniqueRepo('manifests');
      const first = await pushImage(ctx.registry, repo, { reference: 'latest' });
      const second = await pushImage(ctx.registry, repo, { reference: 'latest' });
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/latest`, { headers: { accept: MEDIA.ociManifest } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-content-digest'), second.manifest.digest);
      await res.arrayBuffer();
      const old = await ctx.registry.fetch(`/v2/${repo}/manifests/${first.manifest.digest}`);
      assert.equal(old.status, 200);
      assert.deepEqual(Buffer.from(await old.arrayBuffer()), first.manifest.bytes);
    });

    it('points several tags at one manifest', async () => {
      const repo = uniqueRepo('manifests');
      const image = await pushImage(ctx.registry, repo, { reference: 'a' });
      await pushManifest(ctx.registry, repo, 'b', image.manifest);
      for (const tag of ['a', 'b']) {
        const res = await ctx.registry.fetch(`/v2/${repo}/manifests/${tag}`, { method: 'HEAD' });
        await expectStatus(res, 200);
        assert.equal(res.headers.get('docker-content-digest'), image.manifest.digest);
      }
    });
  });

  describe('concurrent manifest pushes', () => {
    it('accepts one manifest pushed concurrently under several tags and by digest', async () => {
      const repo = uniqueRepo('manifests');
      const manifest = await KINDS[MEDIA.ociManifest]!(ctx, repo);
      const refs = ['t1', 't2', 't3', 't4', manifest.digest, manifest.digest];
      const statuses = await Promise.all(
        refs.map(async (ref) => {
          const res = await putManifest(ctx.registry, repo, ref, manifest);
          await res.arrayBuffer();
          return res.status;
        }),
      );
      assert.deepEqual(statuses, refs.map(() => 201));
      const tags = await jsonOf<{ tags: string[] }>(await ctx.registry.fetch(`/v2/${repo}/tags/list`));
      assert.deepEqual(tags.tags, ['t1', 't2', 't3', 't4']);
    });

    it('leaves a tag pointing at one of the manifests raced onto it', async () => {
      const repo = uniqueRepo('manifests');
      const candidates = await Promise.all([1, 2, 3].map(() => KINDS[MEDIA.ociManifest]!(ctx, repo)));
      const statuses = await Promise.all(
        candidates.map(async (m) => {
          const res = await putManifest(ctx.registry, repo, 'race', m);
          await res.arrayBuffer();
          return res.status;
        }),
      );
      assert.deepEqual(statuses, [201, 201, 201]);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/race`, { method: 'HEAD' });
      await expectStatus(res, 200);
      assert.ok(candidates.some((m) => m.digest === res.headers.get('docker-content-digest')));
    });
  });

  describe('GET /v2/<name>/manifests/<reference> content negotiation', () => {
    it('serves a Docker manifest list to the Accept header docker sends', async () => {
      const repo = uniqueRepo('manifests');
      const list = await KINDS[MEDIA.dockerList]!(ctx, repo);
      await pushManifest(ctx.registry, repo, 'multi', list);
      const accept = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociIndex, MEDIA.ociManifest].join(', ');
      for (const method of ['HEAD', 'GET']) {
        const res = await ctx.registry.fetch(`/v2/${repo}/manifests/multi`, { method, headers: { accept } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), MEDIA.dockerList);
        assert.equal(res.headers.get('docker-content-digest'), list.digest);
        const body = Buffer.from(await res.arrayBuffer());
        if (method === 'GET') assert.deepEqual(body, list.bytes);
      }
    });

    it('refuses, as the reference does, a manifest whose type the Accept header leaves out', async () => {
      const repo = uniqueRepo('manifests');
      await pushImage(ctx.registry, repo, { reference: 'v1' });
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/v1`, { headers: { accept: MEDIA.dockerManifest } });
      await expectError(res, 404, 'MANIFEST_UNKNOWN');
      const head = await ctx.registry.fetch(`/v2/${repo}/manifests/v1`, { method: 'HEAD', headers: { accept: MEDIA.dockerManifest } });
      assert.equal(head.status, 404);
    });

    it('returns the manifest to a client whose Accept names no manifest type at all', async () => {
      const repo = uniqueRepo('manifests');
      const image = await pushImage(ctx.registry, repo, { reference: 'v1' });
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/v1`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), MEDIA.ociManifest);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), image.manifest.bytes);
    });

    it('returns an index to a client that accepts any type', async () => {
      const repo = uniqueRepo('manifests');
      const index = await KINDS[MEDIA.ociIndex]!(ctx, repo);
      await pushManifest(ctx.registry, repo, 'multi', index);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/multi`, { headers: { accept: '*/*' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), MEDIA.ociIndex);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), index.bytes);
    });
  });
});
