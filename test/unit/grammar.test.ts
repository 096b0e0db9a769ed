import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { digestOf, parseDigest, tryParseDigest } from '../../src/oci/digest.ts';
import { isRepoName, isTag, parseReference } from '../../src/oci/names.ts';
import { WharfError } from '../../src/errors/wharf-error.ts';

const HEX64 = 'a'.repeat(64);

describe('digests', () => {
  it('accepts sha256 and sha512 in lowercase hex of the right length', () => {
    assert.equal(tryParseDigest(`sha256:${HEX64}`), `sha256:${HEX64}`);
    assert.equal(tryParseDigest(`sha512:${'b'.repeat(128)}`), `sha512:${'b'.repeat(128)}`);
  });
  it('refuses unknown algorithms, wrong lengths, uppercase and junk', () => {
    for (const bad of [`md5:${HEX64}`, `sha256:${HEX64.slice(1)}`, `sha256:${HEX64.toUpperCase()}`, 'sha256:', ':abc', 'latest', `sha256:${HEX64}\n`]) {
      assert.equal(tryParseDigest(bad), undefined, bad);
    }
  });
  it('throws DIGEST_INVALID from parseDigest', () => {
    assert.throws(() => parseDigest('sha256:xyz'), (e: unknown) => e instanceof WharfError && e.code === 'DIGEST_INVALID');
  });
  it('hashes bytes as the empty-blob digest clients expect', () => {
    assert.equal(digestOf(Buffer.alloc(0)), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('repository names and tags', () => {
  it('accepts the distribution-spec name grammar with several components', () => {
    for (const ok of ['a', 'library/ubuntu', 'a/b/c', 'my-app', 'my__app', 'x.y_z', 'a--b', '0']) assert.ok(isRepoName(ok), ok);
  });
  it('refuses uppercase, empty components, leading separators, _trust and over-long names', () => {
    for (const bad of ['', 'A', 'a//b', '/a', 'a/', '-a', 'a_', '_trust', 'a/_trust', 'a___b', 'a'.repeat(256), 'a b']) {
      assert.ok(!isRepoName(bad), bad);
    }
  });
  it('accepts tags up to 128 characters starting with a word character', () => {
    assert.ok(isTag('latest'));
    assert.ok(isTag('_x.Y-1'));
    assert.ok(isTag('a'.repeat(128)));
    assert.ok(!isTag('a'.repeat(129)));
    assert.ok(!isTag('.hidden'));
    assert.ok(!isTag('-x'));
  });
  it('parses a reference as a digest when it has a colon', () => {
    assert.deepEqual(parseReference(`sha256:${HEX64}`), { kind: 'digest', digest: `sha256:${HEX64}` });
    assert.deepEqual(parseReference('v1'), { kind: 'tag', tag: 'v1' });
    assert.throws(() => parseReference('sha256:nothex'), (e: unknown) => e instanceof WharfError && e.code === 'DIGEST_INVALID');
    assert.throws(() => parseReference('bad!tag'), (e: unknown) => e instanceof WharfError && e.code === 'TAG_INVALID');
  });
});
