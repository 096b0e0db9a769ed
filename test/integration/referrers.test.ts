import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import {
  MEDIA,
  descriptorOf,
  expectStatus,
  imageIndex,
  jsonOf,
  pushArtifact,
  pushImage,
  pushManifest,
  randomDigest,
  uniqueRepo,
  type Content,
  type Descriptor,
  type PushedImage,
} from '../helpers/oci.ts';

const SBOM = 'application/vnd.example.sbom.v1';
const SIGNATURE = 'application/vnd.example.signature.v1';
const CONFIG_TYPE = 'application/vnd.example.config-typed.v1+json';

interface ReferrersIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

// distribution-spec "Listing Referrers" (v1.1) and the referrers tag schema fallback.
forEachBackend('referrers', (ctx) => {
  describe('GET /v2/<name>/referrers/<digest>', () => {
    const repo = uniqueRepo('referrers');
    let image: PushedImage;
    let subject: Descriptor;
    let sbom: Content;
    let signature: Content;
    let typedByConfig: Content;
    let index: Content;
    before(async () => {
      image = await pushImage(ctx.registry, repo, { reference: 'app' });
      subject = descriptorOf(image.manifest);
      sbom = (await pushArtifact(ctx.registry, repo, subject, { artifactType: SBOM, annotations: { 'org.example.kind': 'sbom' } })).manifest;
      signature = (await pushArtifact(ctx.registry, repo, subject, { artifactType: SIGNATURE, annotations: { 'org.example.kind': 'sig' } })).manifest;
      typedByConfig = (await pushArtifact(ctx.registry, repo, subject, { configMediaType: CONFIG_TYPE })).manifest;
      // An index can be a referrer too.
      const child = await pushImage(ctx.registry, repo);
      index = imageIndex([descriptorOf(child.manifest)], { subject, artifactType: SBOM, annotations: { 'org.example.kind': 'index' } });
      const res = await pushManifest(ctx.registry, repo, index.digest, index);
      assert.equal(res.headers.get('oci-subject'), subject.digest);
    });

    async function referrers(query = ''): Promise<{ body: ReferrersIndex; filters: string | null }> {
      const res = await ctx.registry.fetch(`/v2/${repo}/referrers/${subject.digest}${query}`);
      return { body: await jsonOf<ReferrersIndex>(res), filters: res.headers.get('oci-filters-applied') };
    }

    it('answers with Content-Type application/vnd.oci.image.index.v1+json, exactly', async () => {
      for (const path of [`/v2/${repo}/referrers/${subject.digest}`, `/v2/${repo}/referrers/${randomDigest()}`]) {
        const res = await ctx.registry.fetch(path);
        await expectStatus(res, 200);
        assert.equal(res.headers.get('content-type'), MEDIA.ociIndex);
      }
    });

    it('lists every manifest whose subject is <digest> as an image index of descriptors', async () => {
      const { body } = await referrers();
      assert.equal(body.schemaVersion, 2);
      assert.equal(body.mediaType, MEDIA.ociIndex);
      const byDigest = new Map(body.manifests.map((d) => [d.digest, d]));
      assert.equal(body.manifests.length, 4);
      assert.deepEqual(byDigest.get(sbom.digest), {
        mediaType: MEDIA.ociManifest,
        digest: sbom.digest,
        size: sbom.bytes.length,
        artifactType: SBOM,
        annotations: { 'org.example.kind': 'sbom' },
      });
      assert.equal(byDigest.get(signature.digest)?.artifactType, SIGNATURE);
      assert.deepEqual(byDigest.get(signature.digest)?.annotations, { 'org.example.kind': 'sig' });
      assert.deepEqual(byDigest.get(index.digest), {
        mediaType: MEDIA.ociIndex,
        digest: index.digest,
        size: index.bytes.length,
        artifactType: SBOM,
        annotations: { 'org.example.kind': 'index' },
      });
    });

    it('falls back to config.mediaType as artifactType for an image manifest without one', async () => {
      const { body } = await referrers();
      const found = body.manifests.find((d) => d.digest === typedByConfig.digest);
      assert.ok(found, 'referrer typed by its config is listed');
      assert.equal(found.artifactType, CONFIG_TYPE);
      assert.equal(found.size, typedByConfig.bytes.length);
      // It has no annotations: the descriptor omits them rather than sending null.
      assert.ok(found.annotations === undefined || Object.keys(found.annotations).length === 0, JSON.stringify(found));
      assert.ok(!Object.values(found).includes(null), JSON.stringify(found));
    });

    it('filters by ?artifactType= and says so with OCI-Filters-Applied: artifactType', async () => {
      const { body, filters } = await referrers(`?artifactType=${encodeURIComponent(SBOM)}`);
      assert.equal(filters, 'artifactType');
      assert.deepEqual(body.manifests.map((d) => d.digest).sort(), [sbom.digest, index.digest].sort());
    });

    it('answers a filter that matches nothing with an empty list', async () => {
      const { body, filters } = await referrers('?artifactType=application%2Fvnd.example.none');
      assert.equal(filters, 'artifactType');
      assert.deepEqual(body.manifests, []);
    });

    it('answers an unknown digest in a known repository with 200 and an empty list', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/referrers/${randomDigest()}`);
      const body = await jsonOf<ReferrersIndex>(res);
      assert.equal(body.schemaVersion, 2);
      assert.deepEqual(body.manifests, []);
    });

    it('does not list referrers of the image that live in another repository', async () => {
      const other = uniqueRepo('referrers');
      await pushImage(ctx.registry, other);
      const res = await ctx.registry.fetch(`/v2/${other}/referrers/${subject.digest}`);
      assert.deepEqual((await jsonOf<ReferrersIndex>(res)).manifests, []);
    });

    it('rejects a malformed digest with 400', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/referrers/sha256:nothex`);
      await expectStatus(res, 400);
    });
  });

  describe('referrers of a subject pushed later, and deletion', () => {
    it('lists a referrer pushed before its subject exists', async () => {
      const repo = uniqueRepo('referrers');
      await pushImage(ctx.registry, repo, { reference: 'base' });
      const orphanSubject: Descriptor = { mediaType: MEDIA.ociManifest, digest: randomDigest(), size: 321 };
      const { manifest, response } = await pushArtifact(ctx.registry, repo, orphanSubject, { artifactType: SBOM });
      assert.equal(response.headers.get('oci-subject'), orphanSubject.digest);
      const res = await ctx.registry.fetch(`/v2/${repo}/referrers/${orphanSubject.digest}`);
      const body = await jsonOf<ReferrersIndex>(res);
      assert.deepEqual(body.manifests.map((d) => d.digest), [manifest.digest]);
    });

    it('stops listing a referrer once it is deleted', async () => {
      const repo = uniqueRepo('referrers');
      const image = await pushImage(ctx.registry, repo, { reference: 'app' });
      const subject = descriptorOf(image.manifest);
      const keep = (await pushArtifact(ctx.registry, repo, subject, { artifactType: SBOM })).manifest;
      const drop = (await pushArtifact(ctx.registry, repo, subject, { artifactType: SIGNATURE })).manifest;
      await expectStatus(await ctx.registry.fetch(`/v2/${repo}/manifests/${drop.digest}`, { method: 'DELETE' }), 202);
      const body = await jsonOf<ReferrersIndex>(await ctx.registry.fetch(`/v2/${repo}/referrers/${subject.digest}`));
      assert.deepEqual(body.manifests.map((d) => d.digest), [keep.digest]);
    });
  });

  describe('referrers tag schema fallback', () => {
    it('accepts and serves an index tagged sha256-<hex of subject>', async () => {
      const repo = uniqueRepo('referrers');
      const image = await pushImage(ctx.registry, repo, { reference: 'app' });
      const subject = descriptorOf(image.manifest);
      // A client that does not trust the API pushes the artifact without relying on subject
      // processing, then maintains the fallback index itself.
      const artifact = (await pushArtifact(ctx.registry, repo, subject, { artifactType: SBOM })).manifest;
      const fallback = imageIndex([descriptorOf(artifact, { artifactType: SBOM })]);
      const tag = subject.digest.replace(':', '-');
      await pushManifest(ctx.registry, repo, tag, fallback);
      const res = await ctx.registry.fetch(`/v2/${repo}/manifests/${tag}`, { headers: { accept: MEDIA.ociIndex } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), MEDIA.ociIndex);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), fallback.bytes);
      const tags = await jsonOf<{ tags: string[] }>(await ctx.registry.fetch(`/v2/${repo}/tags/list`));
      assert.deepEqual(tags.tags, ['app', tag].sort());
    });
  });
});
