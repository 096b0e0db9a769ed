import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute, repoOf } from '../../src/oci/router.ts';
import { parseRange } from '../../src/oci/routes/blobs.ts';
import { accepts } from '../../src/oci/routes/manifests.ts';
import { WharfError } from '../../src/errors/wharf-error.ts';

const D = `sha256:${'0'.repeat(64)}`;

describe('the /v2 router', () => {
  it('matches every distribution endpoint with multi-component names', () => {
    assert.deepEqual(matchRoute(''), { route: 'base', name: '', param: '' });
    assert.deepEqual(matchRoute('_catalog'), { route: 'catalog', name: '', param: '' });
    assert.deepEqual(matchRoute('a/b/tags/list'), { route: 'tags', name: 'a/b', param: 'list' });
    assert.deepEqual(matchRoute('a/b/manifests/v1'), { route: 'manifest', name: 'a/b', param: 'v1' });
    assert.deepEqual(matchRoute('a/blobs/uploads/'), { route: 'upload-start', name: 'a', param: '' });
    assert.deepEqual(matchRoute('a/blobs/uploads/xyz'), { route: 'upload', name: 'a', param: 'xyz' });
    assert.deepEqual(matchRoute(`a/blobs/${D}`), { route: 'blob', name: 'a', param: D });
    assert.deepEqual(matchRoute(`a/referrers/${D}`), { route: 'referrers', name: 'a', param: D });
  });
  it('routes a repository containing a "blobs" component by its last suffix', () => {
    assert.deepEqual(matchRoute('x/blobs/y/manifests/latest'), { route: 'manifest', name: 'x/blobs/y', param: 'latest' });
  });
  it('matches trust paths before any repository route, including the global changefeed', () => {
    assert.deepEqual(matchRoute('127.0.0.1:5443/app/_trust/tuf/root.json'), { route: 'trust', name: '127.0.0.1:5443/app', param: 'tuf/root.json' });
    assert.deepEqual(matchRoute('_trust/changefeed'), { route: 'trust', name: '', param: 'changefeed' });
    assert.deepEqual(matchRoute('h/app/_trust/tuf/targets/releases.json'), { route: 'trust', name: 'h/app', param: 'tuf/targets/releases.json' });
  });
  it('does not take a repository whose name ends in "_trust" for a trust path', () => {
    assert.deepEqual(matchRoute('a_trust/manifests/v1'), { route: 'manifest', name: 'a_trust', param: 'v1' });
  });
  it('decodes percent-encoded digests but refuses encoded slashes', () => {
    assert.deepEqual(matchRoute(`a/manifests/${D.replace(':', '%3A')}`), { route: 'manifest', name: 'a', param: D });
    assert.throws(() => matchRoute('a%2Fb/manifests/v1'), (e: unknown) => e instanceof WharfError && e.code === 'NAME_INVALID');
  });
  it('refuses invalid repository names with NAME_INVALID', () => {
    const match = matchRoute('UPPER/manifests/v1')!;
    assert.throws(() => repoOf(match), (e: unknown) => e instanceof WharfError && e.code === 'NAME_INVALID');
  });
  it('returns undefined for unknown endpoints', () => {
    assert.equal(matchRoute('a/unknown'), undefined);
  });
});

describe('blob Range headers', () => {
  it('parses first-last, open-ended and suffix ranges, clamping the end', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=50-1000', 100), { start: 50, end: 99 });
    assert.equal(parseRange(undefined, 100), undefined);
  });
  it('serves several ranges as the whole blob', () => {
    assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  });
  it('refuses unsatisfiable and malformed ranges with RANGE_INVALID and Content-Range */size', () => {
    for (const bad of ['bytes=100-', 'bytes=5-1', 'bytes=-', 'items=0-1', 'bytes=a-b']) {
      assert.throws(
        () => parseRange(bad, 100),
        (e: unknown) => e instanceof WharfError && e.code === 'RANGE_INVALID' && e.headers?.['Content-Range'] === 'bytes */100',
        bad,
      );
    }
  });
});

describe('manifest content negotiation', () => {
  const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
  const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
  it('admits a type the client lists, a wildcard, or no Accept at all', () => {
    assert.ok(accepts(`${DOCKER}, ${OCI_INDEX};q=0.5`, OCI_INDEX));
    assert.ok(accepts('*/*', OCI_INDEX));
    assert.ok(accepts(undefined, OCI_INDEX));
    assert.ok(accepts('application/json', OCI_INDEX));
  });
  it('refuses a manifest type the client lists others but not this one', () => {
    assert.ok(!accepts(DOCKER, OCI_INDEX));
  });
});
