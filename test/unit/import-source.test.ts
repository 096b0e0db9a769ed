import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toImportRequest } from '../../src/api/import/request.ts';
import { parseChallenge } from '../../src/import/source-auth.ts';
import { formatSourceReference, parseSourceReference } from '../../src/import/source-reference.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseSourceReference (importImage source.registryUri + sourceImage)', () => {
  it('reads repo:tag, repo@digest and repo:tag@digest on a host with a port', () => {
    assert.deepEqual(parseSourceReference('reg.example.com:5443', 'team/app:1'), { host: 'reg.example.com:5443', repository: 'team/app', tag: '1' });
    assert.deepEqual(parseSourceReference('reg.example.com', `team/app@${DIGEST}`), { host: 'reg.example.com', repository: 'team/app', digest: DIGEST });
    assert.deepEqual(parseSourceReference('https://127.0.0.1:5000/', `app:v2@${DIGEST}`), { host: '127.0.0.1:5000', repository: 'app', tag: 'v2', digest: DIGEST });
  });

  it('maps Docker Hub to registry-1.docker.io and single names to library/', () => {
    assert.deepEqual(parseSourceReference('docker.io', 'alpine:3.20'), { host: 'registry-1.docker.io', repository: 'library/alpine', tag: '3.20' });
    assert.deepEqual(parseSourceReference('docker.io', 'bitnami/redis:7'), { host: 'registry-1.docker.io', repository: 'bitnami/redis', tag: '7' });
  });

  it('strips a sourceImage that repeats the registry (spec 6)', () => {
    assert.deepEqual(parseSourceReference('reg.example.com', 'reg.example.com/team/app:1'), { host: 'reg.example.com', repository: 'team/app', tag: '1' });
  });

  it('refuses what a push would refuse, and a source without tag or digest, with INVALID_REQUEST', () => {
    const cases: [string, string, RegExp][] = [
      ['reg.example.com', 'team/app', /needs a tag/],
      ['reg.example.com', 'Team/app:1', /invalid source repository/],
      ['reg.example.com', 'team/app:-bad', /invalid source tag/],
      ['reg.example.com', 'team/app@sha256:123', /invalid or unsupported source digest/],
      ['reg example', 'team/app:1', /registryUri must be a registry host/],
      ['http://reg.example.com', 'team/app:1', /registryUri must be a registry host/],
    ];
    for (const [uri, image, message] of cases) {
      assert.throws(() => parseSourceReference(uri, image), (err: { code?: string; message: string }) => err.code === 'INVALID_REQUEST' && message.test(err.message));
    }
  });

  it('formats back as host/repo:tag@digest', () => {
    assert.equal(formatSourceReference(parseSourceReference('reg.example.com:5443', `a/b:1@${DIGEST}`)), `reg.example.com:5443/a/b:1@${DIGEST}`);
  });
});

describe('parseChallenge (WWW-Authenticate)', () => {
  it('reads a Bearer challenge with quoted parameters, whatever their order and case', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"'), {
      scheme: 'bearer',
      params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' },
    });
    assert.deepEqual(parseChallenge('Basic Realm="wharf \\"test\\""'), { scheme: 'basic', params: { realm: 'wharf "test"' } });
    assert.equal(parseChallenge(undefined), undefined);
    assert.equal(parseChallenge(''), undefined);
  });
});

describe('toImportRequest (importImage body)', () => {
  const source = { registryUri: 'reg.example.com', sourceImage: 'team/app:1' };

  it('defaults the target to the source repo:tag, or the source repository untagged for a digest', () => {
    assert.deepEqual(toImportRequest({ source }).targetTags, [{ repo: 'team/app', tag: '1' }]);
    const byDigest = toImportRequest({ source: { ...source, sourceImage: `team/app@${DIGEST}` } });
    assert.deepEqual([byDigest.targetTags, byDigest.untaggedRepositories], [[], ['team/app']]);
  });

  it('reads targets, mode and includeReferrers; duplicate targets count once', () => {
    const request = toImportRequest({ source, targetTags: ['x/y:1', 'x/y:1'], untaggedTargetRepositories: ['u', 'u'], mode: 'Force', includeReferrers: true });
    assert.deepEqual(request.targetTags, [{ repo: 'x/y', tag: '1' }]);
    assert.deepEqual(request.untaggedRepositories, ['u']);
    assert.equal(request.force, true);
    assert.equal(request.includeReferrers, true);
  });
});
