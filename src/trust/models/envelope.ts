/**
 * The signed envelope `{"signed":{…},"signatures":[{keyid,method,sig}]}` (spec 11.1) and the fields
 * every role shares (11.2), parsed with the step-0 rules of 6.3: wrong JSON types are MALFORMED_JSON.
 */
import { parseStrictJson, type JsonObject } from '../canonical-json.ts';
import { parseExpires } from './expiry.ts';
import {
  base64Value, isJsonObject, malformed, member, optionalArray, optionalInteger, optionalObject, optionalString,
} from './fields.ts';

export interface Signature {
  keyId: string;
  /** As sent; compared case-insensitively (11.5). */
  method: string;
  sig: Buffer;
}

/** Fields of `signed` common to all roles. Absent fields take Go's zero values, as the reference does. */
export interface SignedCommon {
  /** `_type`; '' when absent. */
  type: string;
  /** 0 when absent (then rejected as "version cannot be less than one"). */
  version: number;
  /** The original `expires` string, unchanged; undefined when absent. */
  expires: string | undefined;
  /** The instant of `expires`; year 1 when absent. */
  expiresAt: Date;
}

export interface Envelope extends SignedCommon {
  /** The parsed `signed` value with every field, for verification over its canonical form (11.5). */
  signedValue: JsonObject;
  signatures: readonly Signature[];
}

/**
 * Parsed envelopes by the Buffer they came from: a publish parses the stored root, snapshot and
 * timestamp again and again, and on a single node they are the same cached Buffers each time.
 * Entries live as long as their Buffer; callers treat an Envelope as read-only.
 */
const parsed = new WeakMap<Buffer, Envelope>();

/** Parses a metadata file's bytes; throws MALFORMED_JSON (6.3 step 0). Does not verify anything. */
export function parseEnvelope(bytes: Buffer): Envelope {
  let envelope = parsed.get(bytes);
  if (!envelope) {
    envelope = Object.freeze(parseEnvelopeBytes(bytes));
    parsed.set(bytes, envelope);
  }
  return envelope;
}

function parseEnvelopeBytes(bytes: Buffer): Envelope {
  let root;
  try {
    root = parseStrictJson(bytes);
  } catch (err) {
    malformed(err instanceof Error ? err.message : 'invalid JSON');
  }
  if (!isJsonObject(root)) malformed('metadata is not a JSON object');
  const signedValue = optionalObject(root, 'signed', 'envelope');
  if (!signedValue) malformed('envelope has no signed object');
  const signatures = (optionalArray(root, 'signatures', 'envelope') ?? []).map((item, i): Signature => {
    const where = `signatures[${i}]`;
    if (!isJsonObject(item)) malformed(`${where} is not an object`);
    return {
      keyId: optionalString(item, 'keyid', where) ?? '',
      method: optionalString(item, 'method', where) ?? '',
      sig: member(item, 'sig') === undefined ? Buffer.alloc(0) : base64Value(member(item, 'sig'), `${where}.sig`),
    };
  });
  return { ...commonFromJSON(signedValue), signedValue, signatures };
}

/** `_type`, `version` (an integer literal) and `expires` (RFC 3339) of a `signed` object. */
export function commonFromJSON(signed: JsonObject): SignedCommon {
  const expires = optionalString(signed, 'expires', 'signed');
  return {
    type: optionalString(signed, '_type', 'signed') ?? '',
    version: optionalInteger(signed, 'version', 'signed') ?? 0,
    expires,
    expiresAt: parseExpires(expires),
  };
}
