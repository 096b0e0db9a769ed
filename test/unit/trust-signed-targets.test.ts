import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { verifySignedTags, type CurrentTrustFiles } from '../../src/trust/signed-targets.ts';
import {
  generateKey, generateRootKey, rootSigned, sha256Hex, signFile, snapshotSigned, targetEntry, targetsSigned, timestampSigned,
  type DelegationSpec, type JsonObject, type SigningKey, type TufFile,
} from '../helpers/tuf.ts';

// verifySignedTags: which digest each tag is signed with (spec 5.3) and who signed it, named as
// `docker trust inspect` names them (docker/cli matchReleasedSignatures): delegations other than
// targets/releases that hold the same target, `Repo Admin` when none; unverifiable delegations
// name nobody. Metadata is built with the independent test toolkit (test/helpers/tuf.ts).

const GUN = 'registry.example.com/team/app';
const A = randomBytes(300);
const B = randomBytes(400);
const digestOf = (payload: Buffer) => `sha256:${sha256Hex(payload)}`;

interface Keys { root: SigningKey; targets: SigningKey; snapshot: SigningKey; timestamp: SigningKey }

/** Every role signed by its keys; the snapshot lists root, targets and `listed` (default: every delegation). */
function trustFiles(keys: Keys, targets: { targets?: Record<string, JsonObject>; delegations?: DelegationSpec[] }, delegations: TufFile[] = [],
  listed: TufFile[] = delegations): CurrentTrustFiles {
  const root = signFile('root', rootSigned({
    version: 1, root: { keys: [keys.root] }, targets: { keys: [keys.targets] }, snapshot: { keys: [keys.snapshot] }, timestamp: { keys: [keys.timestamp] },
  }), [keys.root]);
  const targetsFile = signFile('targets', targetsSigned({ version: 2, ...targets }), [keys.targets]);
  const snapshot = signFile('snapshot', snapshotSigned({ version: 2, files: [root, targetsFile, ...listed] }), [keys.snapshot]);
  const timestamp = signFile('timestamp', timestampSigned({ version: 2, snapshot: snapshot.bytes }), [keys.timestamp]);
  const releases = delegations.find((d) => d.role === 'targets/releases');
  return {
    root: root.bytes, timestamp: timestamp.bytes, snapshot: snapshot.bytes, targets: targetsFile.bytes,
    ...(releases && { releases: releases.bytes }),
    delegations: new Map(delegations.filter((d) => d !== releases).map((d) => [d.role, d.bytes])),
  };
}

/** A delegation file holding `targets`, signed by `key`. */
function delegation(role: string, key: SigningKey, targets: Record<string, JsonObject>, more: { expires?: string; delegations?: DelegationSpec[] } = {}): TufFile {
  return signFile(role, targetsSigned({ version: 1, targets, ...more }), [key]);
}

function signersOf(files: CurrentTrustFiles): Record<string, readonly string[]> {
  const signed = verifySignedTags(files, Date.now());
  assert.deepEqual([...signed.signers.keys()].sort(), [...signed.tags.keys()].sort(), 'signers has an entry for every signed tag, and only those');
  return Object.fromEntries(signed.signers);
}

describe('verifySignedTags: signers per tag', () => {
  let keys: Keys;
  const releasesKey = generateKey('ecdsa');
  const aliceKey = generateKey('ecdsa');
  const bobKey = generateKey('ed25519');
  const releasesRole: DelegationSpec = { name: 'targets/releases', keys: [releasesKey] };
  const aliceRole: DelegationSpec = { name: 'targets/alice', keys: [aliceKey] };
  const bobRole: DelegationSpec = { name: 'targets/bob', keys: [bobKey] };

  before(async () => {
    keys = { root: await generateRootKey({ cn: GUN }), targets: generateKey('ecdsa'), snapshot: generateKey('ecdsa'), timestamp: generateKey('ecdsa') };
  });

  it('a tag only the top-level targets signs is the repository admin\'s', () => {
    const files = trustFiles(keys, { targets: { v1: targetEntry(A), v2: targetEntry(B) } });
    const signed = verifySignedTags(files, Date.now());
    assert.deepEqual(Object.fromEntries(signed.tags), { v1: digestOf(A), v2: digestOf(B) });
    assert.deepEqual(signersOf(files), { v1: ['Repo Admin'], v2: ['Repo Admin'] });
  });

  it('releases plus targets/<name> holding the tag name the delegates, sorted, never "releases"; releases alone is Repo Admin', () => {
    const files = trustFiles(keys, { delegations: [releasesRole, bobRole, aliceRole] }, [
      delegation('targets/releases', releasesKey, { v1: targetEntry(A), v2: targetEntry(B) }),
      delegation('targets/bob', bobKey, { v1: targetEntry(A) }),
      delegation('targets/alice', aliceKey, { v1: targetEntry(A) }),
    ]);
    assert.deepEqual(signersOf(files), { v1: ['alice', 'bob'], v2: ['Repo Admin'] });
  });

  it('a delegate that also signed the top-level target is named alone, as docker does', () => {
    const files = trustFiles(keys, { targets: { v1: targetEntry(A) }, delegations: [aliceRole] }, [delegation('targets/alice', aliceKey, { v1: targetEntry(A) })]);
    assert.deepEqual(signersOf(files), { v1: ['alice'] });
  });

  it('a tag only a delegation other than releases holds is not signed at all', () => {
    const files = trustFiles(keys, { delegations: [aliceRole] }, [delegation('targets/alice', aliceKey, { v1: targetEntry(A) })]);
    assert.deepEqual(Object.fromEntries(verifySignedTags(files, Date.now()).tags), {});
    assert.deepEqual(signersOf(files), {});
  });

  it('a delegation whose signature does not verify names nobody (threshold of the keys its parent lists)', () => {
    const files = trustFiles(keys, { delegations: [releasesRole, aliceRole, { name: 'targets/bob', keys: [bobKey], threshold: 2 }] }, [
      delegation('targets/releases', releasesKey, { v1: targetEntry(A) }),
      delegation('targets/alice', generateKey('ecdsa'), { v1: targetEntry(A) }),
      delegation('targets/bob', bobKey, { v1: targetEntry(A) }),
    ]);
    assert.deepEqual(signersOf(files), { v1: ['Repo Admin'] });
  });

  it('a delegation whose paths exclude the tag names nobody; one whose paths include it does', () => {
    const files = trustFiles(keys, {
      delegations: [releasesRole, { name: 'targets/alice', keys: [aliceKey], paths: ['rc-'] }, { name: 'targets/bob', keys: [bobKey], paths: ['v'] }],
    }, [
      delegation('targets/releases', releasesKey, { v1: targetEntry(A) }),
      delegation('targets/alice', aliceKey, { v1: targetEntry(A) }),
      delegation('targets/bob', bobKey, { v1: targetEntry(A) }),
    ]);
    assert.deepEqual(signersOf(files), { v1: ['bob'] });
  });

  it('a delegation holding the tag with another hash or length than the target that counts names nobody', () => {
    // targets has v1 → A, releases v1 → B (releases counts); alice holds A, bob B but with another length.
    const files = trustFiles(keys, { targets: { v1: targetEntry(A) }, delegations: [releasesRole, aliceRole, bobRole] }, [
      delegation('targets/releases', releasesKey, { v1: targetEntry(B) }),
      delegation('targets/alice', aliceKey, { v1: targetEntry(A) }),
      delegation('targets/bob', bobKey, { v1: { ...targetEntry(B), length: B.length + 1 } }),
    ]);
    const signed = verifySignedTags(files, Date.now());
    assert.equal(signed.tags.get('v1'), digestOf(B));
    assert.deepEqual(signersOf(files), { v1: ['Repo Admin'] });
  });

  it('an expired delegation, one the snapshot does not list with these bytes, or one missing names nobody', () => {
    const listed = delegation('targets/bob', bobKey, { v1: targetEntry(A) });
    const served = delegation('targets/bob', bobKey, { v1: targetEntry(A), v2: targetEntry(B) });
    const expired = delegation('targets/alice', aliceKey, { v1: targetEntry(A) }, { expires: '2020-01-01T00:00:00Z' });
    const files = trustFiles(keys, { targets: { v1: targetEntry(A) }, delegations: [aliceRole, bobRole, { name: 'targets/carol', keys: [aliceKey] }] },
      [expired, served], [expired, listed]);
    assert.deepEqual(signersOf(files), { v1: ['Repo Admin'] });
  });

  it('nested delegations count under a parent that verified, with paths cut to the parent\'s; the answer expires with them', () => {
    const ciKey = generateKey('ecdsa');
    const expires = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const ci: DelegationSpec = { name: 'targets/alice/ci', keys: [ciKey], paths: ['v', 'w'] };
    const files = trustFiles(keys, { targets: { v1: targetEntry(A), w1: targetEntry(B) }, delegations: [{ name: 'targets/alice', keys: [aliceKey], paths: ['v'] }] }, [
      delegation('targets/alice', aliceKey, {}, { delegations: [ci], expires }),
      delegation('targets/alice/ci', ciKey, { v1: targetEntry(A), w1: targetEntry(B) }),
    ]);
    assert.deepEqual(signersOf(files), { v1: ['alice/ci'], w1: ['Repo Admin'] });
    assert.equal(verifySignedTags(files, Date.now()).validUntil, Date.parse(expires));

    // The same child under a parent signed by the wrong key: neither counts.
    const unverified = trustFiles(keys, { targets: { v1: targetEntry(A) }, delegations: [aliceRole] }, [
      delegation('targets/alice', generateKey('ecdsa'), {}, { delegations: [ci] }),
      delegation('targets/alice/ci', ciKey, { v1: targetEntry(A) }),
    ]);
    assert.deepEqual(signersOf(unverified), { v1: ['Repo Admin'] });
  });

  it('a delegation that does not parse names nobody and leaves the other signers standing', () => {
    const files = trustFiles(keys, { targets: { v1: targetEntry(A) }, delegations: [aliceRole, bobRole] }, [
      delegation('targets/alice', aliceKey, { v1: targetEntry(A) }),
      { role: 'targets/bob', bytes: Buffer.from('{"signed": nope'), signed: {}, version: 1, sha256: '' },
    ]);
    assert.deepEqual(signersOf(files), { v1: ['alice'] });
  });
});
