/**
 * Names shared by the trust modules. A GUN names a trust collection: `<registry host[:port]>/<repository>`
 * as clients spell it (shared/specs/notary-trust-api.md 1.2). A TUF role (`TufRole`) is `root`,
 * `targets`, `snapshot`, `timestamp` or a delegation `targets/<name>[/<name>...]`; not an RBAC role.
 */
export type Gun = string & { readonly __brand: 'Gun' };
export type TufRole = string & { readonly __brand: 'TufRole' };

/** The roles whose keys the server may hold and sign with. */
export type ServerRole = 'snapshot' | 'timestamp';

/** One stored version of one role's metadata file: the exact bytes a client uploaded or the server signed. */
export interface TrustDoc {
  role: TufRole;
  version: number;
  /** Lowercase hex SHA-256 of `bytes`. */
  sha256Hex: string;
  bytes: Buffer;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export type NewTrustDoc = Omit<TrustDoc, 'createdAt'>;

/** A changefeed record, as the reference serves it (spec section 9). */
export interface TrustChange {
  id: number;
  gun: Gun;
  /** The timestamp version for updates; 0 for deletions. */
  version: number;
  /** Hex SHA-256 of the timestamp bytes for updates; '' for deletions. */
  sha256Hex: string;
  category: 'update' | 'deletion';
  createdAt: number;
}

/** A server-held signing key of a GUN; the private key is only ever stored encrypted (key vault). */
export interface ServerKeyRecord {
  gun: Gun;
  role: ServerRole;
  /** TUF key ID of the public key object. */
  keyId: string;
  /** 'ecdsa' (P-256) or 'ed25519': the TUF keytype. */
  keyType: 'ecdsa' | 'ed25519';
  /** The `keyval.public` value as metadata carries it (base64). */
  publicKey: string;
  /** AES-256-GCM sealed private key (key-vault format). */
  sealedPrivateKey: Buffer;
  /** The key GET <role>.key returns while the current root lists none the server holds (spec E7, E8). */
  isPending: boolean;
  createdAt: number;
}
