import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalKeyIdOf, certificatesOf, keyIdOf, publicKeyOf, rootCertificateProblem } from '../../src/trust/keys.ts';
import { parseEnvelope } from '../../src/trust/models/envelope.ts';
import { rootFromJSON } from '../../src/trust/models/root.ts';
import { targetsFromJSON } from '../../src/trust/models/targets.ts';
import { DAY_MS, GUN, NOW, makeKey, makeRootKey } from './trust-fixtures.ts';

const vector = (name: string) => readFileSync(new URL(`../vectors/notary/${name}`, import.meta.url));
const VECTOR_GUN = 'registry.example.com/demo/hello';
const vectorRoot = rootFromJSON(parseEnvelope(vector('root.json')).signedValue);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const byHand = (type: string, pub: string) => sha256(`{"keytype":"${type}","keyval":{"private":null,"public":"${pub}"}}`);

describe('keyIdOf (spec 11.6)', () => {
  it('matches every key ID of the vectors and the README table', () => {
    for (const [id, key] of vectorRoot.keys) assert.equal(keyIdOf(key), id);
    assert.deepEqual(Object.fromEntries([...vectorRoot.roles].map(([name, role]) => [name, role.keyIds[0]])), {
      root: '1c4ead0da75c9fcdd36b14783f4013a1d924ec4afad327ef4ed2215497a68555',
      snapshot: 'cb2d5d3142dde3cbb721208e55a1ea2dc5cd575ffc2aafc96c00dadcb6e68eaf',
      targets: 'eabebabc84cef19a7c9b9b95b419af082134074ed706ea48e2f5299930a37247',
      timestamp: '7c9cd2c41f90871e88ad814f93243d45e09bf4a569efd25e0ea87774272619a4',
    });
    const delegation = targetsFromJSON(parseEnvelope(vector('targets.json')).signedValue).delegations.keys;
    const [[id, key]] = [...delegation] as [[string, { keyType: string; publicValue: string }]];
    assert.equal(id, '998b02be1f0cc909de09bb3f3b1ac7419723014a985410cd169c68db3e247a7a');
    assert.equal(keyIdOf(key), id);
    assert.equal(byHand(key.keyType, key.publicValue), id);
  });
  it('matches the public key of releases-delegation.pub', () => {
    const pem = vector('releases-delegation.pub').toString('utf8').replace(/^role:.*\n\n/m, '');
    const spki = createPublicKey(pem).export({ format: 'der', type: 'spki' }).toString('base64');
    assert.equal(keyIdOf({ keyType: 'ecdsa', publicValue: spki }), '998b02be1f0cc909de09bb3f3b1ac7419723014a985410cd169c68db3e247a7a');
  });
  for (const type of ['ecdsa', 'rsa', 'ed25519'] as const) {
    it(`hashes the canonical key object of a generated ${type} key`, () => {
      const key = makeKey(type);
      assert.equal(keyIdOf(key.tuf), byHand(type, key.tuf.publicValue));
      assert.match(key.id, /^[0-9a-f]{64}$/);
    });
  }
  it('gives the canonical key ID of a root certificate: the ID of the plain key from its public key', async () => {
    assert.equal(canonicalKeyIdOf(vectorRoot.keys.get('1c4ead0da75c9fcdd36b14783f4013a1d924ec4afad327ef4ed2215497a68555')!), 'f15d71d18ff1e8628aa3eea3dfc63b624a703f5ced5ee82fc90f027e212c20d8');
    const root = await makeRootKey();
    const spki = createPublicKey(root.privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
    assert.equal(canonicalKeyIdOf(root.tuf), byHand('ecdsa', spki));
    assert.notEqual(canonicalKeyIdOf(root.tuf), root.id);
    const plain = makeKey('ed25519');
    assert.equal(canonicalKeyIdOf(plain.tuf), plain.id);
  });
});

describe('publicKeyOf (spec 11.4)', () => {
  it('parses each key type, certificates included', async () => {
    assert.equal(publicKeyOf(makeKey('ecdsa').tuf)?.asymmetricKeyType, 'ec');
    assert.equal(publicKeyOf(makeKey('rsa').tuf)?.asymmetricKeyType, 'rsa');
    assert.equal(publicKeyOf(makeKey('ed25519').tuf)?.asymmetricKeyType, 'ed25519');
    assert.equal(publicKeyOf((await makeRootKey()).tuf)?.asymmetricKeyType, 'ec');
    assert.equal(publicKeyOf((await makeRootKey({ rsaBits: 2048 })).tuf)?.asymmetricKeyType, 'rsa');
    assert.equal(certificatesOf(vectorRoot.keys.get('1c4ead0da75c9fcdd36b14783f4013a1d924ec4afad327ef4ed2215497a68555')!)?.length, 1);
  });
  it('refuses RSA below 2048 bits, mismatched keytypes, bad lengths and unknown types', () => {
    assert.equal(publicKeyOf(makeKey('rsa', 1024).tuf), undefined);
    assert.equal(publicKeyOf({ keyType: 'ecdsa', publicValue: makeKey('rsa').tuf.publicValue }), undefined);
    assert.equal(publicKeyOf({ keyType: 'rsa', publicValue: makeKey('ecdsa').tuf.publicValue }), undefined);
    assert.equal(publicKeyOf({ keyType: 'ed25519', publicValue: Buffer.alloc(31).toString('base64') }), undefined);
    assert.equal(publicKeyOf({ keyType: 'ecdsa-x509', publicValue: makeKey('ecdsa').tuf.publicValue }), undefined);
    assert.equal(publicKeyOf({ keyType: 'pycrypto-pkcs#1 pss', publicValue: makeKey('rsa').tuf.publicValue }), undefined);
  });
});

describe('rootCertificateProblem (spec 6.3 step 1.3)', () => {
  it('accepts the vector root certificate for its GUN, and the clients\' kind of certificate', async () => {
    const id = vectorRoot.roles.get('root')!.keyIds[0]!;
    assert.equal(rootCertificateProblem(vectorRoot.keys.get(id)!, VECTOR_GUN, NOW), undefined);
    assert.equal(rootCertificateProblem((await makeRootKey()).tuf, GUN, NOW), undefined);
    assert.equal(rootCertificateProblem((await makeRootKey({ rsaBits: 2048 })).tuf, GUN, NOW), undefined);
  });
  it('requires CN == GUN, or a `*`-suffixed CN that prefixes it', async () => {
    const id = vectorRoot.roles.get('root')!.keyIds[0]!;
    assert.match(rootCertificateProblem(vectorRoot.keys.get(id)!, 'registry.example.com/demo/other', NOW) ?? '', /CN/);
    assert.equal(rootCertificateProblem((await makeRootKey({ cn: 'registry.example.com/demo/*' })).tuf, GUN, NOW), undefined);
    assert.match(rootCertificateProblem((await makeRootKey({ cn: 'registry.example.com/other/*' })).tuf, GUN, NOW) ?? '', /CN/);
  });
  it('checks validity: notBefore ≤ now + 24 h, notAfter ≥ now, unless told to skip expiry', async () => {
    const expired = await makeRootKey({ notBefore: new Date(NOW.getTime() - 10 * DAY_MS), notAfter: new Date(NOW.getTime() - DAY_MS) });
    assert.match(rootCertificateProblem(expired.tuf, GUN, NOW) ?? '', /expired/);
    assert.equal(rootCertificateProblem(expired.tuf, GUN, NOW, false), undefined);
    const soon = await makeRootKey({ notBefore: new Date(NOW.getTime() + 20 * 3_600_000) });
    assert.equal(rootCertificateProblem(soon.tuf, GUN, NOW), undefined);
    const later = await makeRootKey({ notBefore: new Date(NOW.getTime() + 2 * DAY_MS) });
    assert.match(rootCertificateProblem(later.tuf, GUN, NOW) ?? '', /not yet valid/);
  });
  it('refuses SHA-1 signed certificates, small RSA keys, CA certificates and plain keys', async () => {
    assert.match(rootCertificateProblem((await makeRootKey({ hash: 'SHA-1' })).tuf, GUN, NOW) ?? '', /SHA-1/);
    assert.match(rootCertificateProblem((await makeRootKey({ rsaBits: 1024 })).tuf, GUN, NOW) ?? '', /weak/);
    assert.match(rootCertificateProblem((await makeRootKey({ isCa: true })).tuf, GUN, NOW) ?? '', /leaf/);
    assert.match(rootCertificateProblem(makeKey('ecdsa').tuf, GUN, NOW) ?? '', /not a certificate/);
  });
  it('refuses a chain with two leaves, and one whose first certificate is a CA', async () => {
    const a = await makeRootKey();
    const b = await makeRootKey();
    const ca = await makeRootKey({ isCa: true });
    const pem = (k: typeof a) => Buffer.from(k.tuf.publicValue, 'base64').toString('utf8');
    const chain = (...keys: (typeof a)[]) => ({ keyType: 'ecdsa-x509', publicValue: Buffer.from(keys.map(pem).join('')).toString('base64') });
    assert.match(rootCertificateProblem(chain(a, b), GUN, NOW) ?? '', /more than one leaf/);
    assert.match(rootCertificateProblem(chain(ca, a), GUN, NOW) ?? '', /not a leaf/);
    assert.equal(rootCertificateProblem(chain(a, ca), GUN, NOW), undefined);
  });
});
