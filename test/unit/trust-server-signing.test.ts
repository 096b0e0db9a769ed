import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson } from '../../src/trust/canonical-json.ts';
import { keyIdOf } from '../../src/trust/keys.ts';
import { parseEnvelope } from '../../src/trust/models/envelope.ts';
import { snapshotFromJSON } from '../../src/trust/models/snapshot.ts';
import {
  SNAPSHOT_LIFETIME_MS, TIMESTAMP_LIFETIME_MS, buildSnapshot, buildTimestamp, expiryOf, generateServerKey, needsResign, serverSigner,
} from '../../src/trust/server-signing.ts';
import { countValidSignatures } from '../../src/trust/signatures.ts';
import type { TufRole } from '../../src/trust/types.ts';

const vector = (name: string) => readFileSync(new URL(`../vectors/notary/${name}`, import.meta.url));
const NOW = new Date('2026-11-29T00:00:00Z');
const b64 = (alg: string, bytes: Buffer) => createHash(alg).update(bytes).digest('base64');
const role = (name: string) => name as TufRole;

describe('generateServerKey (7.4)', () => {
  it('makes ecdsa P-256 keys with base64 SPKI public values and their TUF key ID', () => {
    const key = generateServerKey('ecdsa');
    assert.equal(key.keyType, 'ecdsa');
    assert.match(key.publicKey, /^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/);
    assert.equal(key.keyId, keyIdOf({ keyType: 'ecdsa', publicValue: key.publicKey }));
    assert.equal(key.privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });
  it('makes ed25519 keys with the raw 32-byte public key', () => {
    const key = generateServerKey('ed25519');
    assert.equal(Buffer.from(key.publicKey, 'base64').length, 32);
    assert.equal(key.keyId, keyIdOf({ keyType: 'ed25519', publicValue: key.publicKey }));
  });
});

describe('buildSnapshot (7.1)', () => {
  const key = generateServerKey('ecdsa');
  const keys = new Map([[key.keyId, { keyType: key.keyType, publicValue: key.publicKey }]]);
  it('lists root and targets of a first publish with sha256, sha512 and length, signed by the server key', () => {
    const files = new Map([[role('root'), vector('root.json')], [role('targets'), vector('targets.json')]]);
    const expires = new Date(NOW.getTime() + SNAPSHOT_LIFETIME_MS);
    const bytes = buildSnapshot({ files, version: 1, expires, signers: [serverSigner(key)] });
    const doc = parseEnvelope(bytes);
    const body = snapshotFromJSON(doc.signedValue);
    assert.equal(body.type, 'Snapshot');
    assert.equal(body.version, 1);
    assert.equal(body.expires, '2029-11-28T00:00:00.000Z');
    assert.equal(body.meta.get('root')?.hashes.get('sha256')?.toString('base64'), 'WULnTD5KDGwQS48lNgow8//X326EP6l95h/qvUuemc0=');
    assert.equal(body.meta.get('targets')?.length, 720);
    assert.equal(body.meta.get('targets')?.hashes.get('sha512')?.toString('base64'), b64('sha512', vector('targets.json')));
    assert.equal(countValidSignatures(doc.signatures, keys, 1, canonicalJson(doc.signedValue)), 1);
    assert.equal(bytes.toString().indexOf('{"signed":{"_type":"Snapshot","expires":'), 0);
  });
  it('keeps the previous entries and replaces the relisted ones; reproduces the vector snapshot meta', () => {
    const previous = buildSnapshot({
      files: new Map([[role('root'), vector('root.json')], [role('targets'), Buffer.from('old')], [role('targets/gone'), Buffer.from('x')]]),
      version: 4, expires: NOW, signers: [serverSigner(key)],
    });
    const files = new Map([[role('targets'), vector('targets.json')], [role('targets/releases'), vector('targets/releases.json')]]);
    const bytes = buildSnapshot({ previous, files, version: 5, expires: NOW, signers: [serverSigner(key)] });
    const ours = parseEnvelope(bytes).signedValue.meta as Record<string, unknown>;
    const theirs = parseEnvelope(vector('snapshot.json')).signedValue.meta as Record<string, unknown>;
    assert.deepEqual(Object.keys(ours).sort(), ['root', 'targets', 'targets/gone', 'targets/releases']);
    for (const name of ['root', 'targets', 'targets/releases']) assert.deepEqual(ours[name], theirs[name]);
  });
});

describe('buildTimestamp (7.2)', () => {
  it('lists the exact snapshot bytes as the vector timestamp does', () => {
    const key = generateServerKey('ed25519');
    const bytes = buildTimestamp({ snapshot: vector('snapshot.json'), version: 4, expires: new Date(NOW.getTime() + TIMESTAMP_LIFETIME_MS), signers: [serverSigner(key)] });
    const signed = parseEnvelope(bytes).signedValue;
    const theirs = parseEnvelope(vector('timestamp.json')).signedValue;
    assert.deepEqual(signed.meta, theirs.meta);
    assert.equal(signed._type, 'Timestamp');
    assert.equal(signed.expires, '2026-12-13T00:00:00.000Z');
    const doc = parseEnvelope(bytes);
    assert.equal(doc.signatures[0]?.method, 'eddsa');
    assert.equal(countValidSignatures(doc.signatures, new Map([[key.keyId, { keyType: 'ed25519', publicValue: key.publicKey }]]), 1, canonicalJson(signed)), 1);
  });
});

describe('expiryOf / needsResign (7.3)', () => {
  it('reads version and expiry of stored files', () => {
    const { version, expiresAt } = expiryOf(vector('timestamp.json'));
    assert.equal(version, 4);
    assert.equal(expiresAt.toISOString(), '2026-12-12T13:03:04.158Z');
  });
  it('re-signs once expired, or within the margin', () => {
    const ts = vector('timestamp.json');
    assert.equal(needsResign(ts, new Date('2026-12-01T00:00:00Z')), false);
    assert.equal(needsResign(ts, new Date('2026-12-13T00:00:00Z')), true);
    assert.equal(needsResign(ts, new Date('2026-12-12T12:00:00Z'), 3_600_000), false);
    assert.equal(needsResign(ts, new Date('2026-12-12T12:30:00Z'), 3_600_000), true);
  });
});
