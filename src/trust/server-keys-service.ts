import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { MetadataStore } from '../storage/metadata-store.ts';
import { KeyVault } from './key-vault.ts';
import type { Root } from './models/index.ts';
import { generateServerKey } from './server-signing.ts';
import type { Signer } from './signatures.ts';
import type { Gun, ServerKeyRecord, ServerRole } from './types.ts';

const MAX_OPENED_KEYS = 4096;

export interface HeldKeys {
  /** Of `keyIds`, those we hold for the role. */
  heldKeyIds(role: ServerRole, keyIds: readonly string[]): Promise<string[]>;
  /** Signers for the held keys among `keyIds`. */
  signers(role: ServerRole, keyIds: readonly string[]): Promise<Signer[]>;
}

/** The public key object E7/E8 answer with, in the reference's field order (spec E7). */
export interface PublicKeyAnswer {
  keytype: string;
  keyval: { public: string; private: null };
}

/**
 * Server-held snapshot and timestamp keys: creation (idempotent per GUN), rotation, and signers for
 * the keys a root lists. Private keys exist in plaintext only in memory, for one signing.
 */
export class ServerKeysService {
  /**
   * Opened private keys by key ID: unsealing and parsing a key costs more than signing with it, and
   * every publish signs. Bounded; a key retired by DELETE is never asked for again (root lists it no more).
   */
  private readonly opened = new Map<string, KeyObject>();

  constructor(
    private readonly metadata: MetadataStore,
    private readonly vault: KeyVault,
    private readonly keyType: 'ecdsa' | 'ed25519',
  ) {}

  /** E7: the key root lists for the role that we hold; without one, the pending key (created once). */
  async current(gun: Gun, role: ServerRole, root: Root | undefined): Promise<PublicKeyAnswer> {
    const listed = root?.roles.get(role)?.keyIds ?? [];
    // Before the first root nothing is listed: only the pending key can answer.
    const held = listed.length === 0 ? undefined : (await this.metadata.serverKeys.list(gun, role)).find((k) => listed.includes(k.keyId));
    const record = held ?? (await this.metadata.serverKeys.pending(gun, role, () => this.newRecord(gun, role)));
    return answer(record);
  }

  /** E8: a new pending key; it signs only once a published root lists it. */
  async rotate(gun: Gun, role: ServerRole): Promise<PublicKeyAnswer> {
    const record = await this.newRecord(gun, role);
    await this.metadata.serverKeys.rotate(gun, role, record);
    return answer(record);
  }

  /**
   * The keys held for one GUN, read once per role for the length of one operation (a publish or a
   * re-signing asks several times): which of some key IDs we hold, and signers for them.
   */
  forGun(gun: Gun): HeldKeys {
    const lists = new Map<ServerRole, Promise<ServerKeyRecord[]>>();
    const held = (role: ServerRole, keyIds: readonly string[]) => {
      let list = lists.get(role);
      if (!list) lists.set(role, (list = this.metadata.serverKeys.list(gun, role)));
      return list.then((records) => records.filter((k) => keyIds.includes(k.keyId)));
    };
    return {
      heldKeyIds: async (role, keyIds) => (await held(role, keyIds)).map((k) => k.keyId),
      signers: async (role, keyIds) =>
        (await held(role, keyIds)).map((k) => ({ keyId: k.keyId, keyType: k.keyType, privateKey: this.privateKeyOf(k) })),
    };
  }

  private privateKeyOf(record: ServerKeyRecord): KeyObject {
    const cacheKey = `${record.gun}\n${record.role}\n${record.keyId}`;
    let key = this.opened.get(cacheKey);
    if (!key) {
      const der = this.vault.open(record.sealedPrivateKey, KeyVault.aadFor(record.gun, record.role, record.keyId));
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      der.fill(0);
      this.remember(cacheKey, key);
    }
    return key;
  }

  private remember(cacheKey: string, key: KeyObject): void {
    if (this.opened.size >= MAX_OPENED_KEYS) this.opened.clear();
    this.opened.set(cacheKey, key);
  }

  private async newRecord(gun: Gun, role: ServerRole): Promise<ServerKeyRecord> {
    const key = generateServerKey(this.keyType);
    const der = key.privateKey.export({ format: 'der', type: 'pkcs8' });
    // The first publish signs with it right away: no need to unseal what we just made.
    this.remember(`${gun}\n${role}\n${key.keyId}`, key.privateKey);
    return {
      gun,
      role,
      keyId: key.keyId,
      keyType: key.keyType,
      publicKey: key.publicKey,
      sealedPrivateKey: this.vault.seal(der, KeyVault.aadFor(gun, role, key.keyId)),
      isPending: true,
      createdAt: Date.now(),
    };
  }
}

function answer(record: ServerKeyRecord): PublicKeyAnswer {
  return { keytype: record.keyType, keyval: { public: record.publicKey, private: null } };
}
