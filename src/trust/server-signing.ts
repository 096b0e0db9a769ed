/**
 * Server-generated snapshot and timestamp files (shared/specs/notary-trust-api.md 7.1–7.3) and
 * server key generation (7.4). Pure: bytes in, bytes out; the caller stores them.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { keyIdOf } from './keys.ts';
import { parseEnvelope } from './models/envelope.ts';
import type { FileMeta } from './models/file-meta.ts';
import { metaRoleToJSON, snapshotFromJSON } from './models/snapshot.ts';
import { signMetadata, type Signer } from './signatures.ts';
import type { TufRole } from './types.ts';

const DAY_MS = 86_400_000;
/** 7.1: snapshots expire 3 × 365 days after generation. */
export const SNAPSHOT_LIFETIME_MS = 3 * 365 * DAY_MS;
/** 7.2: timestamps expire 14 days after generation. */
export const TIMESTAMP_LIFETIME_MS = 14 * DAY_MS;

/** `{hashes: {sha256, sha512}, length}` of exact bytes (11.3: base64 of the raw digests). */
export function fileMetaOf(bytes: Buffer): FileMeta {
  return {
    hashes: new Map([
      ['sha256', createHash('sha256').update(bytes).digest()],
      ['sha512', createHash('sha512').update(bytes).digest()],
    ]),
    length: bytes.length,
  };
}

export interface SnapshotInput {
  /** The previous snapshot's exact bytes; its entries are kept (stale ones too, 7.1). */
  previous?: Buffer;
  /** Role → exact bytes to (re)list: root and every targets/delegation file of this update. */
  files: ReadonlyMap<TufRole, Buffer>;
  /** Previous version + 1, or 1 for the first (7.1). */
  version: number;
  expires: Date;
  /** Root-listed snapshot keys the server holds; every one signs. */
  signers: readonly Signer[];
}

/**
 * The bytes of a new snapshot (7.1): the previous `meta` with each of `files` replaced by its hashes
 * and length. Throws when `previous` is not a readable snapshot (the caller passes stored bytes).
 */
export function buildSnapshot(input: SnapshotInput): Buffer {
  const meta = new Map<string, FileMeta>(input.previous ? snapshotFromJSON(parseEnvelope(input.previous).signedValue).meta : []);
  for (const [role, bytes] of input.files) meta.set(role, fileMetaOf(bytes));
  return signMetadata(metaRoleToJSON('Snapshot', input.version, input.expires, meta), input.signers);
}

/** The bytes of a new timestamp (7.2) listing `snapshot`, the exact snapshot bytes being published. */
export function buildTimestamp(input: { snapshot: Buffer; version: number; expires: Date; signers: readonly Signer[] }): Buffer {
  const meta = new Map([['snapshot', fileMetaOf(input.snapshot)]]);
  return signMetadata(metaRoleToJSON('Timestamp', input.version, input.expires, meta), input.signers);
}

/** The version and expiry instant of a stored metadata file; throws MALFORMED_JSON when unreadable. */
export function expiryOf(bytes: Buffer): { version: number; expiresAt: Date } {
  const doc = parseEnvelope(bytes);
  return { version: doc.version, expiresAt: doc.expiresAt };
}

/**
 * 7.3: whether a stored snapshot or timestamp must be re-signed on read: it expires within
 * `marginMs` of `now` (0 = only once expired).
 */
export function needsResign(bytes: Buffer, now: Date, marginMs = 0): boolean {
  return expiryOf(bytes).expiresAt.getTime() - marginMs <= now.getTime();
}

export interface ServerKey {
  keyId: string;
  keyType: 'ecdsa' | 'ed25519';
  /** `keyval.public` as metadata carries it: base64 SPKI DER (ecdsa) or the raw 32 bytes (ed25519) (11.4). */
  publicKey: string;
  privateKey: KeyObject;
}

/** A new server signing key (7.4 [R]: ECDSA P-256 by default). */
export function generateServerKey(type: 'ecdsa' | 'ed25519' = 'ecdsa'): ServerKey {
  const pair = type === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('ed25519');
  const publicKey =
    type === 'ecdsa'
      ? pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
      : Buffer.from(pair.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url').toString('base64');
  return { keyId: keyIdOf({ keyType: type, publicValue: publicKey }), keyType: type, publicKey, privateKey: pair.privateKey };
}

/** A Signer for a server key. */
export function serverSigner(key: Pick<ServerKey, 'keyId' | 'keyType' | 'privateKey'>): Signer {
  return { keyId: key.keyId, keyType: key.keyType, privateKey: key.privateKey };
}
