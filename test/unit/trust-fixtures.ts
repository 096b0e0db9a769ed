// Fixtures for the trust unit tests: keys, self-signed root certificates (@peculiar/x509, tests only)
// and signed metadata built from plain wire objects. Not a test file itself.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { keyIdOf } from '../../src/trust/keys.ts';
import type { TufKey } from '../../src/trust/models/key.ts';
import { signMetadata, type Signer } from '../../src/trust/signatures.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const DAY_MS = 86_400_000;
export const GUN = 'registry.example.com/demo/app';
export const NOW = new Date('2026-11-29T00:00:00Z');
export const FUTURE = '2030-01-01T00:00:00Z';

export interface TestKey {
  id: string;
  tuf: TufKey;
  signer: Signer;
  privateKey: KeyObject;
}

export function keyWire(key: TestKey): { keytype: string; keyval: { private: null; public: string } } {
  return { keytype: key.tuf.keyType, keyval: { private: null, public: key.tuf.publicValue } };
}

/** A plain (non-certificate) key. */
export function makeKey(type: 'ecdsa' | 'rsa' | 'ed25519' = 'ecdsa', rsaBits = 2048): TestKey {
  const pair =
    type === 'ecdsa'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: rsaBits })
        : generateKeyPairSync('ed25519');
  const publicValue =
    type === 'ed25519'
      ? Buffer.from(pair.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64')
      : pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const tuf = { keyType: type, publicValue };
  const id = keyIdOf(tuf);
  return { id, tuf, privateKey: pair.privateKey, signer: { keyId: id, keyType: type, privateKey: pair.privateKey } };
}

export interface CertOptions {
  cn?: string;
  notBefore?: Date;
  notAfter?: Date;
  hash?: 'SHA-256' | 'SHA-1';
  rsaBits?: number;
  isCa?: boolean;
}

/** A self-signed root certificate key as the clients make it (11.6): `ecdsa-x509` (or `rsa-x509`). */
export async function makeRootKey(opts: CertOptions = {}): Promise<TestKey> {
  const hash = opts.hash ?? 'SHA-256';
  const alg = opts.rsaBits
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: opts.rsaBits, publicExponent: new Uint8Array([1, 0, 1]), hash }
    : { name: 'ECDSA', namedCurve: 'P-256', hash };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a' + Buffer.from(webcrypto.getRandomValues(new Uint8Array(15))).toString('hex'),
    name: `CN=${opts.cn ?? GUN}`,
    notBefore: opts.notBefore ?? new Date(NOW.getTime() - DAY_MS),
    notAfter: opts.notAfter ?? new Date(NOW.getTime() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(opts.isCa ?? false, undefined, true),
      new x509.KeyUsagesExtension(
        opts.isCa ? x509.KeyUsageFlags.keyCertSign : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
    ],
  });
  const pem = cert.toString('pem') + '\n';
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const keyType = opts.rsaBits ? 'rsa-x509' : 'ecdsa-x509';
  const tuf = { keyType, publicValue: Buffer.from(pem).toString('base64') };
  const id = keyIdOf(tuf);
  return { id, tuf, privateKey, signer: { keyId: id, keyType, privateKey } };
}

/** Signed metadata bytes from a plain `signed` object (undefined members dropped, as JSON does). */
export function sign(signed: object, ...keys: TestKey[]): Buffer {
  return signMetadata(JSON.parse(JSON.stringify(signed)) as object, keys.map((k) => k.signer));
}

/** An envelope with a dummy 64-byte signature, for `signed` values that have no canonical form. */
export function unsignable(signed: object, key: TestKey): Buffer {
  return Buffer.from(JSON.stringify({ signed, signatures: [{ keyid: key.id, method: 'ecdsa', sig: Buffer.alloc(64, 1).toString('base64') }] }));
}
