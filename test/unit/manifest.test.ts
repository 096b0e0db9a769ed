import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from '../../src/oci/manifest.ts';
import { MEDIA_TYPES } from '../../src/oci/media-types.ts';
import { WharfError } from '../../src/errors/wharf-error.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const image = {
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 2 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('1'), size: 10 }],
};
const isInvalid = (e: unknown) => e instanceof WharfError && e.code === 'MANIFEST_INVALID';

describe('parseManifest', () => {
  it('lists config and layers as blob references and uses config.mediaType as artifact type', () => {
    const parsed = parseManifest(json(image), MEDIA_TYPES.ociManifest);
    assert.deepEqual(parsed.blobRefs, [d('c'), d('1')]);
    assert.deepEqual(parsed.manifestRefs, []);
    assert.equal(parsed.artifactType, 'application/vnd.oci.image.config.v1+json');
  });
  it('keeps artifactType, subject and annotations', () => {
    const parsed = parseManifest(
      json({ ...image, artifactType: 'application/x.sbom', subject: { mediaType: MEDIA_TYPES.ociManifest, digest: d('5'), size: 3 }, annotations: { a: 'b' } }),
      MEDIA_TYPES.ociManifest,
    );
    assert.equal(parsed.artifactType, 'application/x.sbom');
    assert.equal(parsed.subject, d('5'));
    assert.equal(parsed.annotations, '{"a":"b"}');
  });
  it('lists an index children as manifest references', () => {
    const index = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest: d('a'), size: 1 }] };
    const parsed = parseManifest(json(index), undefined);
    assert.equal(parsed.mediaType, MEDIA_TYPES.ociIndex);
    assert.deepEqual(parsed.manifestRefs, [d('a')]);
    assert.deepEqual(parsed.blobRefs, []);
  });
  it('infers the media type from the Content-Type or the shape when the field is absent', () => {
    const { mediaType: _omit, ...bare } = image;
    assert.equal(parseManifest(json(bare), MEDIA_TYPES.dockerManifest).mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(parseManifest(json(bare), undefined).mediaType, MEDIA_TYPES.ociManifest);
  });
  it('does not require foreign layers with urls to be in the registry', () => {
    const foreign = { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: d('f'), size: 5, urls: ['https://example.invalid/l'] };
    const parsed = parseManifest(json({ ...image, mediaType: MEDIA_TYPES.dockerManifest, layers: [foreign] }), MEDIA_TYPES.dockerManifest);
    assert.deepEqual(parsed.blobRefs, [d('c')]);
  });
  it('refuses invalid JSON, schema 1, mismatched media types and bad descriptors with MANIFEST_INVALID', () => {
    const cases: [Buffer, string | undefined][] = [
      [Buffer.from('{not json'), MEDIA_TYPES.ociManifest],
      [Buffer.from('[]'), MEDIA_TYPES.ociManifest],
      [json({ ...image, schemaVersion: 1 }), MEDIA_TYPES.ociManifest],
      [json(image), MEDIA_TYPES.dockerManifest],
      [json({ ...image, config: { ...image.config, digest: 'sha256:short' } }), undefined],
      [json({ ...image, layers: [{ ...image.layers[0], size: -1 }] }), undefined],
      [json({ ...image, layers: 'x' }), undefined],
      [json({ ...image, mediaType: 'text/plain' }), undefined],
      [json({ ...image, annotations: { a: 1 } }), undefined],
    ];
    for (const [bytes, type] of cases) assert.throws(() => parseManifest(bytes, type), isInvalid, bytes.toString().slice(0, 60));
  });
});
