import { randomBytes, randomUUID, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** The user name of Wharf refresh-token logins (shared/specs/access-and-policy.md 1.2, 1.5) [ACR]. */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

/** scrypt cost parameters: N = 2^logN, block size r, parallelism p. */
export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

/**
 * N = 2^15, r = 8, p = 1: 32 MiB and a few tens of milliseconds per hash, run on libuv's thread
 * pool. Each hash records its own parameters, so raising these later keeps old hashes valid.
 */
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ logN: 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const SECRET_BYTES = 32;
// Bounds for parameters read back from a stored hash, so that an altered row cannot make one
// verification take minutes or gigabytes.
const MAX = { logN: 20, r: 32, p: 16 } as const;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/;

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.logN;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const m = PHC.exec(stored);
  if (!m) return undefined;
  const params = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.logN < 1 || params.logN > MAX.logN || params.r < 1 || params.r > MAX.r || params.p < 1 || params.p > MAX.p) return undefined;
  const salt = Buffer.from(m[4] ?? '', 'base64url');
  const key = Buffer.from(m[5] ?? '', 'base64url');
  // A truncated key must not verify as a shorter one.
  if (salt.length < SALT_BYTES || key.length < KEY_BYTES || key.length > 2 * KEY_BYTES) return undefined;
  return { params, salt, key };
}

/**
 * A salted scrypt hash of the password (NFC-normalized UTF-8) as a self-describing PHC-style
 * string: `$scrypt$ln=15,r=8,p=1$<salt base64url>$<key base64url>`. Asynchronous (thread pool),
 * never blocks the event loop. Two hashes of one password differ (random 16-byte salt).
 */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * Whether `password` matches a hash made by hashPassword, compared in constant time. Never throws
 * for a wrong password or a malformed or out-of-bounds stored string: both are simply `false`.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) {
    await burnPasswordCheck(password);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** Whether the hash was made with other parameters than `params` (rehash it after a successful login). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.params.logN !== params.logN || parsed.params.r !== params.r || parsed.params.p !== params.p;
}

const DUMMY_SALT = randomBytes(SALT_BYTES);

/**
 * Spends what one verification costs, for a user name that matches nothing, so that response
 * times do not reveal which names exist. Always resolves.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  await derive(password, DUMMY_SALT, DEFAULT_SCRYPT, KEY_BYTES);
}

/**
 * A new secret shown once (scoped-token and service-principal passwords, admin passwords):
 * 32 random bytes in base64url, 43 characters, no padding.
 */
export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** A new random (version 4) GUID in lower case: objectId, appId, keyId, role assignment id. */
export function newGuid(): string {
  return randomUUID();
}

/** The first three characters of a secret, kept as a service principal credential's `hint` [ACR]. */
export function secretHint(secret: string): string {
  return secret.slice(0, 3);
}

/**
 * KeyVault additional data binding a sealed admin password to its account and slot, so that a
 * sealed value copied into another row or slot does not open. Admin passwords are sealed, not
 * hashed, because `wharf credential show` displays them again [ACR].
 */
export function adminPasswordAad(username: string, name: 'password' | 'password2'): string {
  return JSON.stringify(['wharf-admin-password', username, name]);
}

/** KeyVault additional data binding a sealed token-service signing key to its `kid`. */
export function signingKeyAad(kid: string): string {
  return JSON.stringify(['wharf-signing-key', kid]);
}
