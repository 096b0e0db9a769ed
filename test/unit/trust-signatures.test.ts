import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createHash, sign } from 'node:crypto';
import { canonicalJson } from '../../src/trust/canonical-json.ts';
import { parseEnvelope } from '../../src/trust/models/envelope.ts';
import { countValidSignatures, signMetadata, verifySignature } from '../../src/trust/signatures.ts';
import { makeKey, makeRootKey, type TestKey } from './trust-fixtures.ts';

const MESSAGE = canonicalJson({ _type: 'Targets', version: 2, expires: '2030-01-01T00:00:00Z', targets: {} });
const TAMPERED = Buffer.concat([MESSAGE.subarray(0, -2), Buffer.from('3}')]);
const ecdsa = makeKey('ecdsa');
const rsa = makeKey('rsa');
const ed = makeKey('ed25519');
const p1363 = (key: TestKey, msg = MESSAGE) => sign('sha256', msg, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
const pss = (key: TestKey, saltLength: number) => sign('sha256', MESSAGE, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });

describe('verifySignature (spec 11.5)', () => {
  it('ecdsa: raw r‖s over SHA-256; tampered messages and DER signatures fail', () => {
    const sig = p1363(ecdsa);
    assert.equal(sig.length, 64);
    assert.ok(verifySignature(ecdsa.tuf, 'ecdsa', sig, MESSAGE));
    assert.ok(!verifySignature(ecdsa.tuf, 'ecdsa', sig, TAMPERED));
    const der = sign('sha256', MESSAGE, ecdsa.privateKey);
    assert.ok(!verifySignature(ecdsa.tuf, 'ecdsa', der, MESSAGE));
    assert.ok(!verifySignature(makeKey('ecdsa').tuf, 'ecdsa', sig, MESSAGE));
  });
  it('compares the method case-insensitively; unknown methods and key/method mismatches are invalid', () => {
    const sig = p1363(ecdsa);
    assert.ok(verifySignature(ecdsa.tuf, 'ECDSA', sig, MESSAGE));
    assert.ok(!verifySignature(ecdsa.tuf, 'ecdsa-sha256', sig, MESSAGE));
    assert.ok(!verifySignature(ecdsa.tuf, 'eddsa', sig, MESSAGE));
    assert.ok(!verifySignature(rsa.tuf, 'ecdsa', pss(rsa, 32), MESSAGE));
    assert.ok(!verifySignature({ keyType: 'ed25519', publicValue: ecdsa.tuf.publicValue }, 'ecdsa', sig, MESSAGE));
  });
  it('ecdsa-x509: verifies with the certificate key', async () => {
    const root = await makeRootKey();
    assert.ok(verifySignature(root.tuf, 'ecdsa', p1363(root), MESSAGE));
    assert.ok(!verifySignature(root.tuf, 'rsapss', p1363(root), MESSAGE));
  });
  it('rsapss: SHA-256, MGF1-SHA-256, salt 32 only', () => {
    assert.ok(verifySignature(rsa.tuf, 'rsapss', pss(rsa, 32), MESSAGE));
    assert.ok(!verifySignature(rsa.tuf, 'rsapss', pss(rsa, 32), TAMPERED));
    assert.ok(!verifySignature(rsa.tuf, 'rsapss', pss(rsa, constants.RSA_PSS_SALTLEN_MAX_SIGN), MESSAGE));
    assert.ok(!verifySignature(rsa.tuf, 'rsapss', pss(rsa, 20), MESSAGE));
    assert.ok(!verifySignature(rsa.tuf, 'rsapkcs1v15', pss(rsa, 32), MESSAGE));
  });
  it('rsapkcs1v15: SHA-256', () => {
    const sig = sign('sha256', MESSAGE, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PADDING });
    assert.ok(verifySignature(rsa.tuf, 'rsapkcs1v15', sig, MESSAGE));
    assert.ok(!verifySignature(rsa.tuf, 'rsapkcs1v15', sig, TAMPERED));
    assert.ok(!verifySignature(rsa.tuf, 'rsapss', sig, MESSAGE));
  });
  it('rsa keys below 2048 bits never verify (14.20)', () => {
    const small = makeKey('rsa', 1024);
    assert.ok(!verifySignature(small.tuf, 'rsapss', pss(small, 32), MESSAGE));
  });
  it('eddsa: Ed25519 over the message itself', () => {
    const sig = sign(null, MESSAGE, ed.privateKey);
    assert.ok(verifySignature(ed.tuf, 'eddsa', sig, MESSAGE));
    assert.ok(verifySignature(ed.tuf, 'EdDSA', sig, MESSAGE));
    assert.ok(!verifySignature(ed.tuf, 'eddsa', sig, TAMPERED));
    assert.ok(!verifySignature(ed.tuf, 'eddsa', sign(null, createHash('sha256').update(MESSAGE).digest(), ed.privateKey), MESSAGE));
  });
  it('never throws on garbage', () => {
    assert.ok(!verifySignature({ keyType: 'ecdsa', publicValue: 'AAAA' }, 'ecdsa', Buffer.alloc(64), MESSAGE));
    assert.ok(!verifySignature(ecdsa.tuf, 'ecdsa', Buffer.alloc(0), MESSAGE));
  });
});

describe('countValidSignatures', () => {
  const other = makeKey('ecdsa');
  const roleKeys = new Map([[ecdsa.id, ecdsa.tuf], [ed.id, ed.tuf]]);
  const sigOf = (key: TestKey, method: string, sig: Buffer) => ({ keyId: key.id, method, sig });
  it('counts each distinct role key once and ignores keys outside the role', () => {
    const sigs = [sigOf(ecdsa, 'ecdsa', p1363(ecdsa)), sigOf(ecdsa, 'ecdsa', p1363(ecdsa)), sigOf(other, 'ecdsa', p1363(other))];
    assert.equal(countValidSignatures(sigs, roleKeys, 2, MESSAGE), 1);
    const both = [...sigs, sigOf(ed, 'eddsa', sign(null, MESSAGE, ed.privateKey))];
    assert.equal(countValidSignatures(both, roleKeys, 2, MESSAGE), 2);
    assert.equal(countValidSignatures(both, roleKeys, 1, MESSAGE), 1);
  });
  it('ignores invalid signatures and keys filed under a wrong ID', () => {
    assert.equal(countValidSignatures([sigOf(ecdsa, 'ecdsa', p1363(ecdsa, TAMPERED))], roleKeys, 1, MESSAGE), 0);
    const misfiled = new Map([[other.id, ecdsa.tuf]]);
    assert.equal(countValidSignatures([{ keyId: other.id, method: 'ecdsa', sig: p1363(ecdsa) }], misfiled, 1, MESSAGE), 0);
  });
});

describe('signMetadata (spec 11.1)', () => {
  it('writes {"signed":<canonical>,"signatures":[{keyid,method,sig}]} with no whitespace', () => {
    const signed = { version: 1, _type: 'Snapshot', meta: {}, expires: '2030-01-01T00:00:00Z' };
    const bytes = signMetadata(signed, [ecdsa.signer, ed.signer, rsa.signer]).toString('utf8');
    const m = /^\{"signed":(.*),"signatures":\[(.*)\]\}$/.exec(bytes);
    assert.ok(m);
    assert.equal(m[1], '{"_type":"Snapshot","expires":"2030-01-01T00:00:00Z","meta":{},"version":1}');
    assert.match(m[2]!, new RegExp(`^\\{"keyid":"${ecdsa.id}","method":"ecdsa","sig":"[A-Za-z0-9+/=]{88}"\\},\\{"keyid":"${ed.id}","method":"eddsa","sig":"[^"]+"\\},\\{"keyid":"${rsa.id}","method":"rsapss","sig":"[^"]+"\\}$`));
    const doc = parseEnvelope(Buffer.from(bytes));
    const keys = new Map([[ecdsa.id, ecdsa.tuf], [ed.id, ed.tuf], [rsa.id, rsa.tuf]]);
    assert.equal(countValidSignatures(doc.signatures, keys, 3, canonicalJson(doc.signedValue)), 3);
  });
});
