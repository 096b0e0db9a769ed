import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrustPath } from '../../src/trust/trust-paths.ts';

const H = '4ef7b11a8c2296ec1d90acf1ba097f442766f9d65c7eda0b9ca96c702dea657d';

describe('parseTrustPath', () => {
  it('routes every endpoint of the trust API', () => {
    assert.deepEqual(parseTrustPath('tuf/'), { kind: 'publish' });
    assert.deepEqual(parseTrustPath('tuf/root.json'), { kind: 'current', role: 'root' });
    assert.deepEqual(parseTrustPath('tuf/targets/releases.json'), { kind: 'current', role: 'targets/releases' });
    assert.deepEqual(parseTrustPath(`tuf/snapshot.${H}.json`), { kind: 'checksum', role: 'snapshot', sha256Hex: H });
    assert.deepEqual(parseTrustPath(`tuf/targets/releases.${H}.json`), { kind: 'checksum', role: 'targets/releases', sha256Hex: H });
    assert.deepEqual(parseTrustPath('tuf/6.root.json'), { kind: 'version', role: 'root', version: 6 });
    assert.deepEqual(parseTrustPath('tuf/01.root.json'), { kind: 'version', role: 'root', version: 1 });
    assert.deepEqual(parseTrustPath('tuf/timestamp.key'), { kind: 'key', role: 'timestamp' });
    assert.deepEqual(parseTrustPath('tuf/snapshot.key'), { kind: 'key', role: 'snapshot' });
    assert.deepEqual(parseTrustPath('changefeed'), { kind: 'changefeed' });
  });
  it('routes version 0 and uppercase or SHA-512 checksums, which then find nothing', () => {
    assert.deepEqual(parseTrustPath('tuf/0.root.json'), { kind: 'version', role: 'root', version: 0 });
    assert.deepEqual(parseTrustPath(`tuf/root.${H.toUpperCase()}.json`), { kind: 'checksum', role: 'root', sha256Hex: H.toUpperCase() });
  });
  it('does not route other keys, unknown roles or files', () => {
    for (const path of ['tuf/targets.key', 'tuf/root.key', 'tuf/foo.json', 'tuf/root', 'tuf', 'other', 'tuf/targets/.json']) {
      assert.equal(parseTrustPath(path), undefined, path);
    }
  });
});
