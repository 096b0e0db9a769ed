/**
 * TUF public keys (spec 11.4), key IDs (11.6) and root certificate checks (6.3 step 1.3).
 * Pure: node:crypto only, no I/O.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { boundedMemo } from '../lib/bounded-memo.ts';
import { canonicalJson } from './canonical-json.ts';
import { keyToJSON, type TufKey } from './models/key.ts';
import { certificateNames } from './x509-der.ts';

export type { TufKey } from './models/key.ts';

/** The key types Wharf verifies (11.4). Legacy `pycrypto-pkcs#1 pss` is refused ([R]). */
export const KEY_TYPES = ['ecdsa', 'ecdsa-x509', 'rsa', 'rsa-x509', 'ed25519'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

const DAY_MS = 86_400_000;
const MIN_RSA_BITS = 2048;
/** md5WithRSA, sha1WithRSA, ecdsa-with-SHA1, dsa-with-SHA1, sha1WithRSA (OIW): refused (6.3 step 1.3). */
const WEAK_SIGNATURE_OIDS = new Set(['1.2.840.113549.1.1.4', '1.2.840.113549.1.1.5', '1.2.840.10045.4.1', '1.2.840.10040.4.3', '1.3.14.3.2.29']);

/** TUF key ID (11.6): lowercase hex SHA-256 of canonical `{"keytype","keyval":{"private":null,"public"}}`. */
export function keyIdOf(key: TufKey): string {
  return createHash('sha256').update(canonicalJson(keyToJSON(key))).digest('hex');
}

/**
 * The certificates of an `*-x509` key: `public` is base64 of PEM text, leaf first (11.4).
 * Returns undefined when the value holds no parseable certificate.
 */
export function certificatesOf(key: TufKey): X509Certificate[] | undefined {
  return parsedCertificates(key.publicValue);
}

// Every publish checks the root's certificates and every signature check needs a KeyObject; keys
// repeat across publishes of a GUN, and parsing them costs more than verifying with them.
const parsedCertificates = boundedMemo(4096, (publicValue: string): X509Certificate[] | undefined => {
  const pem = Buffer.from(publicValue, 'base64').toString('utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (!blocks) return undefined;
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    return undefined;
  }
});

/**
 * The node public key of a TUF key, checked against its keytype: `ecdsa` an EC SPKI, `rsa` an RSA SPKI
 * of ≥ 2048 bits, `ed25519` 32 raw bytes, `*-x509` the first certificate's key of the matching kind.
 * Returns undefined for anything unusable, so a signature by it simply does not count (11.5, 14.20).
 */
export function publicKeyOf(key: TufKey): KeyObject | undefined {
  return parsedPublicKey(`${key.keyType}\n${key.publicValue}`);
}

const parsedPublicKey = boundedMemo(4096, (typeAndValue: string): KeyObject | undefined => {
  const newline = typeAndValue.indexOf('\n');
  const key: TufKey = { keyType: typeAndValue.slice(0, newline), publicValue: typeAndValue.slice(newline + 1) };
  const raw = Buffer.from(key.publicValue, 'base64');
  try {
    switch (key.keyType) {
      case 'ecdsa':
        return expectKind(createPublicKey({ key: raw, format: 'der', type: 'spki' }), 'ec');
      case 'rsa':
        return expectKind(createPublicKey({ key: raw, format: 'der', type: 'spki' }), 'rsa');
      case 'ed25519':
        if (raw.length !== 32) return undefined;
        return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
      case 'ecdsa-x509':
        return expectKind(certificatesOf(key)?.[0]?.publicKey, 'ec');
      case 'rsa-x509':
        return expectKind(certificatesOf(key)?.[0]?.publicKey, 'rsa');
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
});

function expectKind(key: KeyObject | undefined, kind: 'ec' | 'rsa'): KeyObject | undefined {
  if (!key || key.asymmetricKeyType !== kind) return undefined;
  if (kind === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return undefined;
  return key;
}

/**
 * Canonical key ID (11.6): the key ID of the plain `ecdsa`/`rsa` key made from an `*-x509` key's
 * leaf public key (base64 SPKI DER). For other keys, the key's own ID. Undefined when unparseable.
 */
export function canonicalKeyIdOf(key: TufKey): string | undefined {
  if (!key.keyType.endsWith('-x509')) return keyIdOf(key);
  const leaf = certificatesOf(key)?.[0];
  if (!leaf) return undefined;
  const spki = leaf.publicKey.export({ format: 'der', type: 'spki' });
  return keyIdOf({ keyType: key.keyType.slice(0, -'-x509'.length), publicValue: spki.toString('base64') });
}

/**
 * Why a root-role key is not a usable root certificate for `gun`, or undefined when it is
 * (6.3 step 1.3, Notary `validRootLeafCerts`). `checkExpiry` is false for the previous root's
 * certificates (step 1.4: their expiry is not checked).
 */
export function rootCertificateProblem(key: TufKey, gun: string, now: Date, checkExpiry = true): string | undefined {
  if (key.keyType !== 'ecdsa-x509' && key.keyType !== 'rsa-x509') return `keytype ${key.keyType} is not a certificate`;
  const certs = certificatesOf(key);
  if (!certs || certs.length === 0) return 'no certificate in key';
  // Exactly one non-CA (leaf) certificate, placed first.
  const [leaf, ...rest] = certs;
  if (!leaf || leaf.ca) return 'the first certificate is not a leaf';
  if (rest.some((c) => !c.ca)) return 'more than one leaf certificate';
  if (!publicKeyOf(key)) return 'certificate key does not match keytype or is too weak';
  let names;
  try {
    names = certificateNames(leaf.raw);
  } catch {
    return 'unparseable certificate';
  }
  // CN == GUN; a CN ending in `*` matches as a prefix.
  const cn = names.commonName ?? '';
  const matches = cn.endsWith('*') ? gun.startsWith(cn.slice(0, -1)) : cn === gun;
  if (!matches) return `certificate CN ${JSON.stringify(cn)} does not match the GUN`;
  if (WEAK_SIGNATURE_OIDS.has(names.signatureAlgorithm)) return 'certificate is signed with SHA-1 or MD5';
  if (checkExpiry) {
    // notBefore ≤ now + 24 h and notAfter ≥ now.
    if (Date.parse(leaf.validFrom) > now.getTime() + DAY_MS) return 'certificate is not yet valid';
    if (Date.parse(leaf.validTo) < now.getTime()) return 'certificate has expired';
  }
  return undefined;
}
