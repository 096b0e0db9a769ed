import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { SigningKeyRecord, SigningKeyStore } from '../storage/metadata-store.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import { signingKeyAad } from './secrets.ts';

/** The one algorithm Wharf signs and accepts tokens with (shared/specs/access-and-policy.md 1.4). */
export const TOKEN_ALGORITHM = 'ES256';

/** The key that signs new tokens, opened. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface TokenKeysOptions {
  /**
   * How long an opened primary key, and a kid's verification key (or its absence), is trusted from
   * memory before the store is asked again: bounds how long a rotation or retirement made on another
   * node takes to reach this one. Default 60 s.
   */
  cacheMs?: number;
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
}

const DEFAULT_CACHE_MS = 60_000;
// Tokens naming random kids must not grow the cache without bound.
const MAX_CACHED_KIDS = 1_000;

/**
 * A fresh P-256 key pair as a signing-key record: the private key sealed with the KeyVault under
 * signingKeyAad(kid), `kid` the RFC 7638 JWK thumbprint of the public key (stable, derived from
 * the key alone). The store sets createdAt, isPrimary and isRetired.
 */
export async function newSigningKeyRecord(vault: KeyVault): Promise<SigningKeyRecord> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid,
    alg: TOKEN_ALGORITHM,
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sealedPrivateKey: vault.seal(der, signingKeyAad(kid)),
    createdAt: 0,
    isPrimary: false,
    isRetired: false,
  };
}

/**
 * The token service's JWT keys over the SigningKeyStore: the primary key signs (created on first
 * use, race-free through the store), every unretired ES256 key verifies, so tokens signed before a
 * rotation stay valid until their key is retired. Opened keys are cached in memory for `cacheMs`.
 */
export class TokenKeys {
  readonly #store: SigningKeyStore;
  readonly #vault: KeyVault;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #primary: { key: Promise<ActiveSigningKey>; at: number } | undefined;
  readonly #verifiers = new Map<string, { key: KeyObject | undefined; at: number }>();
  #retirements = 0;

  constructor(store: SigningKeyStore, vault: KeyVault, options: TokenKeysOptions = {}) {
    this.#store = store;
    this.#vault = vault;
    this.#cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The primary key, opened; makes one when the store has none. Throws WharfError('UNKNOWN') if it cannot be opened. */
  signingKey(): Promise<ActiveSigningKey> {
    const now = this.#now();
    if (this.#primary && now - this.#primary.at < this.#cacheMs) return this.#primary.key;
    const key = this.#store.primary(() => newSigningKeyRecord(this.#vault)).then((record) => this.#open(record));
    this.#primary = { key, at: now };
    key.catch(() => {
      if (this.#primary?.key === key) this.#primary = undefined;
    });
    return key;
  }

  /** The public key for a token's `kid`; undefined when unknown, retired or not an ES256 key. */
  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    const now = this.#now();
    const cached = this.#verifiers.get(kid);
    if (cached && now - cached.at < this.#cacheMs) return cached.key;
    const record = await this.#store.get(kid);
    const key = record && !record.isRetired && record.alg === TOKEN_ALGORITHM ? createPublicKey(record.publicKey) : undefined;
    if (this.#verifiers.size >= MAX_CACHED_KIDS) this.#verifiers.clear();
    this.#verifiers.set(kid, { key, at: now });
    return key;
  }

  /** Makes a new primary key; the previous one stops signing but still verifies. Returns the new kid. */
  async rotate(): Promise<string> {
    const record = await this.#store.rotate(await newSigningKeyRecord(this.#vault));
    this.#primary = { key: Promise.resolve(this.#open(record)), at: this.#now() };
    return record.kid;
  }

  /** How many keys this process has retired: caches of verified tokens start afresh when it changes. */
  get retirements(): number {
    return this.#retirements;
  }

  /** Retires a key: tokens it signed stop verifying (here at once, on other nodes within `cacheMs`). */
  async retire(kid: string): Promise<boolean> {
    const retired = await this.#store.retire(kid);
    this.#verifiers.delete(kid);
    this.#retirements++;
    if (this.#primary) {
      const primary = this.#primary;
      const current = await primary.key.catch(() => undefined);
      if (current?.kid === kid && this.#primary === primary) this.#primary = undefined;
    }
    return retired;
  }

  #open(record: SigningKeyRecord): ActiveSigningKey {
    const der = this.#vault.open(record.sealedPrivateKey, signingKeyAad(record.kid));
    return { kid: record.kid, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
  }
}
