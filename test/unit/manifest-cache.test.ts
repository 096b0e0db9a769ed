import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestCache } from '../../src/oci/manifest-cache.ts';
import type { Digest } from '../../src/oci/digest.ts';

const D1 = `sha256:${'1'.repeat(64)}` as Digest;
const D2 = `sha256:${'2'.repeat(64)}` as Digest;
const manifest = (digest: Digest, size = 10) => ({ digest, mediaType: 'm', bytes: Buffer.alloc(size), createdAt: 0 });

describe('ManifestCache', () => {
  it('serves what it stored and forgets a deleted manifest and the tags that pointed at it', () => {
    const cache = new ManifestCache({ ttlMs: 60_000, maxBytes: 1 << 20, cacheTags: true });
    cache.storeManifest('r', manifest(D1), cache.generation);
    cache.storeTag('r', 'v1', D1, cache.generation);
    cache.storeTag('other', 'v1', D1, cache.generation);
    assert.equal(cache.manifest('r', D1)?.digest, D1);
    assert.equal(cache.tag('r', 'v1'), D1);
    cache.dropManifest('r', D1);
    assert.equal(cache.manifest('r', D1), undefined);
    assert.equal(cache.tag('r', 'v1'), undefined);
    assert.equal(cache.tag('other', 'v1'), D1);
  });

  it('does not store an answer read before an invalidation (a lookup racing a tag move)', () => {
    const cache = new ManifestCache({ ttlMs: 60_000, maxBytes: 1 << 20, cacheTags: true });
    const lookupStarted = cache.generation;
    cache.dropTag('r', 'v1'); // the tag moved while the lookup was reading the old row
    cache.storeTag('r', 'v1', D1, lookupStarted);
    assert.equal(cache.tag('r', 'v1'), undefined);
  });

  it('expires entries after the TTL and never caches tags when told not to', async () => {
    const cache = new ManifestCache({ ttlMs: 20, maxBytes: 1 << 20, cacheTags: false });
    cache.storeTag('r', 'v1', D1, cache.generation);
    assert.equal(cache.tag('r', 'v1'), undefined);
    cache.storeManifest('r', manifest(D1), cache.generation);
    assert.ok(cache.manifest('r', D1));
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(cache.manifest('r', D1), undefined);
  });

  it('evicts the oldest manifests beyond its byte budget', () => {
    const cache = new ManifestCache({ ttlMs: 60_000, maxBytes: 1600, cacheTags: true });
    cache.storeManifest('r', manifest(D1, 100), cache.generation);
    for (let i = 0; i < 20; i++) cache.storeManifest('r', manifest(`sha256:${String(i).padStart(64, 'a')}` as Digest, 100), cache.generation);
    cache.storeManifest('r', manifest(D2, 100), cache.generation);
    assert.equal(cache.manifest('r', D1), undefined);
    assert.ok(cache.manifest('r', D2));
  });
});
