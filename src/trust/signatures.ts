/**
 * Signature verification, threshold counting and envelope signing (spec 11.1, 11.5).
 * The message is always the canonical bytes of `signed` (11.7).
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { keyIdOf, publicKeyOf, type TufKey } from './keys.ts';
import type { Signature } from './models/envelope.ts';

const PSS_SALT_LENGTH = 32;
/** Signature methods and the key types each may verify with (11.4 table). */
const METHOD_KEY_TYPES: Record<string, readonly string[]> = {
  ecdsa: ['ecdsa', 'ecdsa-x509'],
  rsapss: ['rsa', 'rsa-x509'],
  rsapkcs1v15: ['rsa', 'rsa-x509'],
  eddsa: ['ed25519'],
};

/**
 * True when `sig` is a valid signature of `message` by `key` with `method` (case-insensitive).
 * Never throws: unknown methods, key/method mismatches, unusable keys (RSA < 2048) and malformed
 * signatures (DER ECDSA, wrong PSS salt length) are simply invalid (11.5).
 */
export function verifySignature(key: TufKey, method: string, sig: Buffer, message: Buffer): boolean {
  const wanted = method.toLowerCase();
  if (!METHOD_KEY_TYPES[wanted]?.includes(key.keyType)) return false;
  const publicKey = publicKeyOf(key);
  if (!publicKey) return false;
  try {
    switch (wanted) {
      case 'ecdsa': {
        // Raw r‖s only, each half the curve size: DER signatures are refused (11.5).
        const bits = { 'prime256v1': 256, 'secp384r1': 384, 'secp521r1': 521 }[publicKey.asymmetricKeyDetails?.namedCurve ?? ''];
        if (bits === undefined || sig.length !== 2 * Math.ceil(bits / 8)) return false;
        return verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
      }
      case 'rsapss':
        return verify('sha256', message, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH }, sig);
      case 'rsapkcs1v15':
        return verify('sha256', message, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sig);
      case 'eddsa':
        return sig.length === 64 && verify(null, message, publicKey, sig);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/**
 * How many distinct role keys produced a valid signature over `message` (11.5), stopping once
 * `threshold` is reached. Signatures whose keyid is not in `roleKeys`, or whose listed key's computed
 * ID differs from the map key, are ignored; a keyid signing twice counts once.
 */
export function countValidSignatures(
  signatures: readonly Signature[],
  roleKeys: ReadonlyMap<string, TufKey>,
  threshold: number,
  message: Buffer,
): number {
  const valid = new Set<string>();
  for (const s of signatures) {
    if (valid.size >= threshold) break;
    const key = roleKeys.get(s.keyId);
    if (!key || valid.has(s.keyId) || keyIdOf(key) !== s.keyId) continue;
    if (verifySignature(key, s.method, s.sig, message)) valid.add(s.keyId);
  }
  return valid.size;
}

export interface Signer {
  keyId: string;
  privateKey: KeyObject;
  /** TUF keytype of the public key; picks the method: ecdsa → ecdsa, rsa → rsapss, ed25519 → eddsa. */
  keyType: 'ecdsa' | 'ecdsa-x509' | 'rsa' | 'rsa-x509' | 'ed25519';
}

/** The method and signature a signer produces over `message`. */
export function signMessage(signer: Signer, message: Buffer): { method: string; sig: Buffer } {
  switch (signer.keyType) {
    case 'ecdsa':
    case 'ecdsa-x509':
      return { method: 'ecdsa', sig: sign('sha256', message, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' }) };
    case 'rsa':
    case 'rsa-x509':
      return {
        method: 'rsapss',
        sig: sign('sha256', message, { key: signer.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH }),
      };
    case 'ed25519':
      return { method: 'eddsa', sig: sign(null, message, signer.privateKey) };
  }
}

/**
 * A metadata file exactly as 11.1 lays it out: `{"signed":<canonical>,"signatures":[{keyid,method,sig}]}`,
 * no whitespace, one signature per signer in the given order. Throws CanonicalJsonError when `signed`
 * has no canonical form. (Go clients also escape <, >, & in the file; plain canonical JSON is equally
 * valid and we hash stored bytes.)
 */
export function signMetadata(signed: object, signers: readonly Signer[]): Buffer {
  const message = canonicalJson(signed);
  const signatures = signers.map((signer) => {
    const { method, sig } = signMessage(signer, message);
    return `{"keyid":${JSON.stringify(signer.keyId)},"method":"${method}","sig":"${sig.toString('base64')}"}`;
  });
  return Buffer.concat([Buffer.from('{"signed":'), message, Buffer.from(`,"signatures":[${signatures.join(',')}]}`)]);
}
