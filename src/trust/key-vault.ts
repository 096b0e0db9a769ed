import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { Gun, ServerRole } from './types.ts';

/** The settings KeyVault.load reads. */
export type KeyVaultConfig = Pick<Config, 'mode' | 'data'> & { trust: Pick<Config['trust'], 'keyEncryptionKey' | 'keyEncryptionKeyFile'> };

/** Name of the key-encryption key generated in the data directory in dev mode. */
export const DEV_KEK_FILE = 'trust-kek';

const FORMAT_VERSION = 1;
const KEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;

/** The 32-byte key in base64 text (surrounding whitespace ignored), or undefined when it is not one. */
export function parseKeyEncryptionKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === KEK_BYTES ? key : undefined;
}

/**
 * Keeps the server-held TUF private keys encrypted at rest (spec 7.4) with a key-encryption key
 * (KEK). Sealed format: version byte (1) | 12-byte random IV | 16-byte GCM tag | ciphertext,
 * AES-256-GCM with the version byte and `aad` as additional data. `aad` names the record the key
 * belongs to (use KeyVault.aadFor), so a sealed key copied into another record does not open.
 * The KEK lives only in a private field: it is never logged, inspected or serialized.
 */
export class KeyVault {
  readonly #kek: Buffer;

  /** `kek` is 32 bytes; the vault keeps its own copy. */
  constructor(kek: Buffer) {
    if (kek.length !== KEK_BYTES) throw new Error(`trust key-encryption key must be ${KEK_BYTES} bytes`);
    this.#kek = Buffer.from(kek);
  }

  /**
   * The KEK from trust.keyEncryptionKey (base64) or trust.keyEncryptionKeyFile (a file holding
   * base64). Without either: in production mode an Error saying so; in dev mode the key in
   * <data>/trust-kek, generated with mode 0600 on first start (concurrent starts agree on one).
   */
  static async load(config: KeyVaultConfig): Promise<KeyVault> {
    const { keyEncryptionKey, keyEncryptionKeyFile } = config.trust;
    if (keyEncryptionKey !== undefined && keyEncryptionKeyFile !== undefined) {
      throw new Error('trust: keyEncryptionKey and keyEncryptionKeyFile are mutually exclusive');
    }
    if (keyEncryptionKey !== undefined) return new KeyVault(decode(keyEncryptionKey, 'trust.keyEncryptionKey'));
    if (keyEncryptionKeyFile !== undefined) return new KeyVault(await readKeyFile(keyEncryptionKeyFile, 'trust.keyEncryptionKeyFile'));
    if (config.mode === 'production') {
      throw new Error('trust: production mode needs trust.keyEncryptionKey or trust.keyEncryptionKeyFile (dev mode generates one)');
    }
    return new KeyVault(await devKey(config.data));
  }

  /** The additional data that binds a sealed private key to its server_keys record. */
  static aadFor(gun: Gun, role: ServerRole, keyId: string): string {
    return JSON.stringify(['wharf-server-key', gun, role, keyId]);
  }

  /** Encrypts a PKCS#8 DER private key for the record named by `aad`. */
  seal(privateKeyPkcs8Der: Buffer, aad: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#kek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(aad));
    const body = Buffer.concat([cipher.update(privateKeyPkcs8Der), cipher.final()]);
    return Buffer.concat([Buffer.of(FORMAT_VERSION), iv, cipher.getAuthTag(), body]);
  }

  /**
   * The PKCS#8 DER private key sealed for `aad`. Throws WharfError('UNKNOWN') when the bytes were
   * altered, belong to another record, were sealed with another KEK or are not in this format.
   */
  open(sealed: Buffer, aad: string): Buffer {
    if (sealed.length < HEADER_BYTES || sealed[0] !== FORMAT_VERSION) {
      throw new WharfError('UNKNOWN', 'sealed server key has an unknown format');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, HEADER_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#kek, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(aad));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES)), decipher.final()]);
    } catch (err) {
      throw new WharfError('UNKNOWN', 'sealed server key could not be opened (other record or key-encryption key, or altered)', {
        cause: err,
      });
    }
  }

  toJSON(): Record<string, never> {
    return {};
  }
}

/** The version byte is authenticated too, so that a future format cannot be downgraded to this one. */
function additionalData(aad: string): Buffer {
  return Buffer.concat([Buffer.of(FORMAT_VERSION), Buffer.from(aad, 'utf8')]);
}

/** Errors name the setting, never the value. */
function decode(text: string, source: string): Buffer {
  const key = parseKeyEncryptionKey(text);
  if (key === undefined) throw new Error(`${source}: expected base64 of ${KEK_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`);
  return key;
}

async function readKeyFile(path: string, source: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${source}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  return decode(text, `${source} ${path}`);
}

/**
 * <data>/trust-kek, created on first use. The key is written to a private temporary file and
 * flushed, then hard-linked into place, which fails if another process got there first: every
 * process ends up reading the one key that won. An unreadable existing file is an error, never
 * replaced: the keys sealed with it would be lost.
 */
async function devKey(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, DEV_KEK_FILE);
  await mkdir(dataDir, { recursive: true });
  try {
    return await readKeyFile(path, 'dev key-encryption key');
  } catch (err) {
    if ((err as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') throw err;
  }
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${randomBytes(KEK_BYTES).toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temp, 0o600); // whatever the umask
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return readKeyFile(path, 'dev key-encryption key');
}
