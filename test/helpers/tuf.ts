// An independent TUF (Notary v1 flavour) toolkit for the trust API tests: it deliberately shares no
// code with src/trust/, so that a bug there cannot hide itself here (shared/specs/notary-trust-api.md 11).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  constants as cryptoConstants,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
  webcrypto,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const BASE_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type BaseRole = (typeof BASE_ROLES)[number];
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Canonical JSON (spec 11.7)

export interface CanonicalOptions {
  /** Sort object keys by UTF-16 code units (JavaScript's default) instead of UTF-8 bytes: a wrong signature on purpose (14.18). */
  utf16Order?: boolean;
  /** Write non-integers with String(n) instead of throwing, to build invalid documents (14.42). */
  allowFractions?: boolean;
}

/** Notary's canonical JSON: keys in UTF-8 byte order, no whitespace, only `"` and `\` escaped, integers only. */
export function canonicalJson(value: unknown, opts: CanonicalOptions = {}): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (!Number.isInteger(value) && !opts.allowFractions) throw new Error(`canonical JSON has integers only, got ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, opts)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (opts.utf16Order ? (a < b ? -1 : a > b ? 1 : 0) : Buffer.compare(Buffer.from(a), Buffer.from(b))));
    return `{${entries.map(([k, v]) => `${canonicalJson(k)}:${canonicalJson(v, opts)}`).join(',')}}`;
  }
  throw new Error(`cannot canonicalise ${typeof value}`);
}

// ---------------------------------------------------------------------------------------------
// Hashes

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function hashB64(algorithm: 'sha256' | 'sha512', bytes: Buffer | string): string {
  return createHash(algorithm).update(bytes).digest('base64');
}

/** A snapshot/timestamp `meta` entry for a file: sha256 + sha512 of the exact bytes, and their length. */
export function fileMeta(bytes: Buffer): JsonObject {
  return { hashes: { sha256: hashB64('sha256', bytes), sha512: hashB64('sha512', bytes) }, length: bytes.length };
}

/** A target entry as docker writes it (sha256 of the manifest, its length). */
export function targetEntry(payload: Buffer, opts: { sha512?: boolean; custom?: Json } = {}): JsonObject {
  const hashes: JsonObject = { sha256: hashB64('sha256', payload) };
  if (opts.sha512) hashes['sha512'] = hashB64('sha512', payload);
  const entry: JsonObject = { hashes, length: payload.length };
  if (opts.custom !== undefined) entry['custom'] = opts.custom;
  return entry;
}

// ---------------------------------------------------------------------------------------------
// Keys (spec 11.4–11.6)

/** A public key as metadata lists it. `id` is its TUF key ID. */
export interface PublicKey {
  keytype: string;
  public: string;
  id: string;
}

/** A key the test holds privately. */
export interface SigningKey extends PublicKey {
  /** The signature method this key signs with by default. */
  method: string;
  privateKey: KeyObject;
}

/** TUF key ID: hex SHA-256 of canonical `{"keytype","keyval":{"private":null,"public"}}` (11.6). */
export function keyIdOf(keytype: string, publicValue: string): string {
  return sha256Hex(canonicalJson({ keytype, keyval: { private: null, public: publicValue } }));
}

/** The key object as it appears in a `keys` map. */
export function keyJson(key: PublicKey): JsonObject {
  return { keytype: key.keytype, keyval: { private: null, public: key.public } };
}

export type PlainKeyType = 'ecdsa' | 'ed25519' | 'rsa';

/** A fresh plain key: ECDSA P-256 (default), Ed25519 or RSA (2048 bits unless given). */
export function generateKey(keytype: PlainKeyType = 'ecdsa', opts: { rsaBits?: number } = {}): SigningKey {
  if (keytype === 'ecdsa') {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    return { keytype, public: pub, id: keyIdOf(keytype, pub), method: 'ecdsa', privateKey };
  }
  if (keytype === 'ed25519') {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
    return { keytype, public: raw, id: keyIdOf(keytype, raw), method: 'eddsa', privateKey };
  }
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: opts.rsaBits ?? 2048 });
  const pub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  return { keytype, public: pub, id: keyIdOf(keytype, pub), method: 'rsapss', privateKey };
}

export interface RootCertOptions {
  /** Subject CN; the spec requires the GUN (11.6). */
  cn: string;
  notBefore?: Date;
  notAfter?: Date;
  /** 'ecdsa' (P-256, default) or 'rsa' (2048). */
  algorithm?: 'ecdsa' | 'rsa';
}

/** A root key as the clients make it: a self-signed certificate with CN = GUN, keytype `ecdsa-x509` (11.6). */
export async function generateRootKey(opts: RootCertOptions): Promise<SigningKey> {
  const isRsa = opts.algorithm === 'rsa';
  const algorithm = isRsa
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${opts.cn}`,
    notBefore: opts.notBefore ?? new Date(now - 60_000),
    notAfter: opts.notAfter ?? new Date(now + 3650 * DAY_MS),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]),
      new x509.BasicConstraintsExtension(false, undefined, true),
    ],
  });
  const pem = `${cert.toString('pem')}\n`;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const keytype = isRsa ? 'rsa-x509' : 'ecdsa-x509';
  const pub = Buffer.from(pem).toString('base64');
  return { keytype, public: pub, id: keyIdOf(keytype, pub), method: isRsa ? 'rsapss' : 'ecdsa', privateKey };
}

/** Parses the body of GET/POST `<role>.key` (E7/E8) into a public key. */
export function publicKeyFromJson(body: unknown): PublicKey {
  const obj = body as { keytype?: unknown; keyval?: { public?: unknown; private?: unknown } };
  if (typeof obj?.keytype !== 'string' || typeof obj.keyval?.public !== 'string') {
    throw new Error(`not a public key object: ${JSON.stringify(body)}`);
  }
  if (obj.keyval.private !== null) throw new Error('key endpoint disclosed a private key');
  return { keytype: obj.keytype, public: obj.keyval.public, id: keyIdOf(obj.keytype, obj.keyval.public) };
}

function nodePublicKey(key: PublicKey): KeyObject {
  const value = Buffer.from(key.public, 'base64');
  switch (key.keytype) {
    case 'ecdsa':
    case 'rsa':
      return createPublicKey({ key: value, format: 'der', type: 'spki' });
    case 'ed25519':
      return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), value]), format: 'der', type: 'spki' });
    case 'ecdsa-x509':
    case 'rsa-x509':
      return new X509Certificate(value).publicKey;
    default:
      throw new Error(`unknown keytype ${key.keytype}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures (spec 11.5)

export interface Signature {
  keyid: string;
  method: string;
  sig: string;
}

export interface SignOptions {
  /** Method name written into the signature (default: the key's). */
  method?: string;
  /** Key ID written into the signature (default: the key's). */
  keyid?: string;
  /** ECDSA: emit a DER signature instead of r‖s (must be rejected, 14.13). */
  der?: boolean;
  /** RSA-PSS salt length (default 32; the maximum is rejected, 14.16). */
  saltLength?: number;
}

/** Signs `message` as the Go clients do: ECDSA raw r‖s over SHA-256, Ed25519 over the message, RSA-PSS salt 32. */
export function signBytes(key: SigningKey, message: Buffer, opts: SignOptions = {}): Signature {
  let sig: Buffer;
  const kind = key.privateKey.asymmetricKeyType;
  if (kind === 'ec') {
    sig = cryptoSign('sha256', message, { key: key.privateKey, dsaEncoding: opts.der ? 'der' : 'ieee-p1363' });
  } else if (kind === 'ed25519') {
    sig = cryptoSign(null, message, key.privateKey);
  } else {
    sig = cryptoSign('sha256', message, {
      key: key.privateKey,
      padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
      saltLength: opts.saltLength ?? 32,
    });
  }
  return { keyid: opts.keyid ?? key.id, method: opts.method ?? key.method, sig: sig.toString('base64') };
}

/** Whether `signature` is a valid signature by `key` over `message` (methods ecdsa, eddsa, rsapss, rsapkcs1v15). */
export function verifyBytes(key: PublicKey, signature: Signature, message: Buffer): boolean {
  const pub = nodePublicKey(key);
  const sig = Buffer.from(signature.sig, 'base64');
  switch (signature.method.toLowerCase()) {
    case 'ecdsa':
      return pub.asymmetricKeyType === 'ec' && cryptoVerify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
    case 'eddsa':
      return pub.asymmetricKeyType === 'ed25519' && cryptoVerify(null, message, pub, sig);
    case 'rsapss':
      return pub.asymmetricKeyType === 'rsa' &&
        cryptoVerify('sha256', message, { key: pub, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
    case 'rsapkcs1v15':
      return pub.asymmetricKeyType === 'rsa' && cryptoVerify('sha256', message, pub, sig);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Envelopes (spec 11.1)

/** One metadata file: the exact bytes plus what the test put in them. */
export interface TufFile {
  /** The role name, also the multipart filename (`targets/releases` for a delegation). */
  role: string;
  bytes: Buffer;
  signed: JsonObject;
  version: number;
  /** Lowercase hex SHA-256 of `bytes`. */
  sha256: string;
}

export interface EnvelopeOptions extends CanonicalOptions {
  /** The text written for `signed` in the file (default: its canonical form). */
  signedText?: string;
  /** The bytes signed (default: the canonical form of `signed`). */
  signedMessage?: Buffer;
  sign?: SignOptions;
  /** Signatures appended as given (e.g. forged or by absent keys). */
  extraSignatures?: Signature[];
}

/** Writes `{"signed":…,"signatures":[…]}` in the Go clients' layout and signs with every key. */
export function signFile(role: string, signed: JsonObject, keys: readonly SigningKey[], opts: EnvelopeOptions = {}): TufFile {
  const canonical = canonicalJson(signed, opts);
  const message = opts.signedMessage ?? Buffer.from(canonical);
  const signatures = [...keys.map((k) => signBytes(k, message, opts.sign)), ...(opts.extraSignatures ?? [])];
  const text = `{"signed":${opts.signedText ?? canonical},"signatures":${JSON.stringify(signatures)}}`;
  const bytes = Buffer.from(text);
  return { role, bytes, signed, version: signed['version'] as number, sha256: sha256Hex(bytes) };
}

/** A file whose bytes are given verbatim (malformed uploads); `signed` is what the test meant. */
export function rawFile(role: string, bytes: Buffer | string, version = 0): TufFile {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return { role, bytes: buf, signed: {}, version, sha256: sha256Hex(buf) };
}

export interface ParsedEnvelope {
  signed: JsonObject;
  signatures: Signature[];
}

export function parseEnvelope(bytes: Buffer): ParsedEnvelope {
  return JSON.parse(bytes.toString('utf8')) as ParsedEnvelope;
}

/** How many distinct keys of `keys` validly signed the file (signature over canonical `signed`). */
export function countValidSignatures(bytes: Buffer, keys: readonly PublicKey[]): number {
  const env = parseEnvelope(bytes);
  const message = Buffer.from(canonicalJson(env.signed));
  const valid = new Set<string>();
  for (const sig of env.signatures) {
    const key = keys.find((k) => k.id === sig.keyid);
    if (key && verifyBytes(key, sig, message)) valid.add(key.id);
  }
  return valid.size;
}

// ---------------------------------------------------------------------------------------------
// Role bodies (spec 11.3)

/**
 * An RFC 3339 UTC time `ms` from now in Go's RFC3339Nano form (trailing zeros of the fraction
 * trimmed), as the clients write it; the reference re-serialises times this way (spec 6.4, 11.2).
 */
export function expiresIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

export const IN_TEN_YEARS = (): string => expiresIn(3650 * DAY_MS);
export const IN_THREE_YEARS = (): string => expiresIn(3 * 365 * DAY_MS);

export interface RoleKeys {
  keys: readonly PublicKey[];
  threshold?: number;
}

export interface RootSpec {
  version: number;
  root: RoleKeys;
  targets: RoleKeys;
  snapshot: RoleKeys;
  timestamp: RoleKeys;
  expires?: string;
  /** Keys listed in `keys` but in no role (e.g. old root certificates after a rotation). */
  extraKeys?: readonly PublicKey[];
}

/** The `signed` part of a root; `keys` holds every key of every role under its computed ID. */
export function rootSigned(spec: RootSpec): JsonObject {
  const keys: JsonObject = {};
  const roles: JsonObject = {};
  for (const role of BASE_ROLES) {
    const r = spec[role];
    for (const k of r.keys) keys[k.id] = keyJson(k);
    roles[role] = { keyids: r.keys.map((k) => k.id), threshold: r.threshold ?? 1 };
  }
  for (const k of spec.extraKeys ?? []) keys[k.id] = keyJson(k);
  return { _type: 'Root', consistent_snapshot: false, expires: spec.expires ?? IN_TEN_YEARS(), keys, roles, version: spec.version };
}

export interface DelegationSpec {
  name: string;
  keys: readonly PublicKey[];
  threshold?: number;
  /** Default [""] (every target name); null omits the field. */
  paths?: string[] | null;
}

export interface TargetsSpec {
  version: number;
  targets?: Record<string, JsonObject>;
  delegations?: readonly DelegationSpec[];
  expires?: string;
}

/** The `signed` part of targets or a delegation; `delegations` is always written (11.3). */
export function targetsSigned(spec: TargetsSpec): JsonObject {
  const keys: JsonObject = {};
  const roles: Json[] = [];
  for (const d of spec.delegations ?? []) {
    for (const k of d.keys) keys[k.id] = keyJson(k);
    const role: JsonObject = { keyids: d.keys.map((k) => k.id), name: d.name, threshold: d.threshold ?? 1 };
    if (d.paths !== null) role['paths'] = d.paths ?? [''];
    roles.push(role);
  }
  return {
    _type: 'Targets',
    delegations: { keys, roles },
    expires: spec.expires ?? IN_THREE_YEARS(),
    targets: spec.targets ?? {},
    version: spec.version,
  };
}

/** The `signed` part of a snapshot listing each given file by its exact bytes. */
export function snapshotSigned(spec: { version: number; files: readonly TufFile[]; expires?: string }): JsonObject {
  const meta: JsonObject = {};
  for (const f of spec.files) meta[f.role] = fileMeta(f.bytes);
  return { _type: 'Snapshot', expires: spec.expires ?? IN_THREE_YEARS(), meta, version: spec.version };
}

/** A timestamp body (clients never need one; used to prove uploads of it are ignored). */
export function timestampSigned(spec: { version: number; snapshot: Buffer; expires?: string }): JsonObject {
  return { _type: 'Timestamp', expires: spec.expires ?? expiresIn(14 * DAY_MS), meta: { snapshot: fileMeta(spec.snapshot) }, version: spec.version };
}

// ---------------------------------------------------------------------------------------------
// Multipart (spec 6.1)

export interface Part {
  body: Buffer;
  /** Written verbatim into Content-Disposition (so `targets/releases` stays whole); omitted when undefined. */
  filename?: string;
  /** Field name; the Go client uses `files`. */
  name?: string;
}

/** A multipart/form-data body with CRLF framing, as the notary client builds it. */
export function multipartBody(parts: readonly Part[], boundary = randomBytes(30).toString('hex')): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const filename = p.filename === undefined ? '' : `; filename="${p.filename}"`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name ?? 'files'}"${filename}\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      p.body,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The Go `time.UnixDate`-like layout the reference uses in expiry messages: `Wed Jan 1 00:00:00 UTC 2020`. */
export function goExpiryText(iso: string): string {
  const d = new Date(iso);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${d.getUTCDate()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** Random bytes standing in for an image manifest that a target describes. */
export function randomPayload(size = 127): Buffer {
  return randomBytes(size);
}
