/** Checks shared by the root, targets and snapshot steps of 6.3. Each throws INVALID_UPDATE. */
import { CanonicalJsonError, canonicalJson } from '../canonical-json.ts';
import { keyIdOf, type TufKey } from '../keys.ts';
import type { Envelope, SignedCommon } from '../models/envelope.ts';
import { formatExpiry } from '../models/expiry.ts';
import { countValidSignatures } from '../signatures.ts';
import { invalidUpdate, type InvalidUpdateName } from './invalid.ts';

/**
 * The signed message (11.5, 11.7). A value without canonical form fails like the reference
 * (`json: unsupported value: 1.5`, 14.42); control characters are refused ([R] 6.4, 14.41).
 */
export function signedMessage(doc: Envelope, name: InvalidUpdateName): Buffer {
  try {
    return canonicalJson(doc.signedValue);
  } catch (err) {
    if (err instanceof CanonicalJsonError) throw invalidUpdate(name, err.message);
    throw err;
  }
}

/**
 * 11.5: at least `threshold` distinct keys of the role verify. Zero signatures is its own error
 * (`tuf: data has no signatures`, 14.12); otherwise `valid signatures did not meet threshold for <role>`.
 */
export function requireThreshold(
  doc: Envelope, role: string, keys: ReadonlyMap<string, TufKey>, threshold: number, name: InvalidUpdateName,
): void {
  if (doc.signatures.length === 0) throw invalidUpdate(name, 'tuf: data has no signatures');
  const message = signedMessage(doc, name);
  if (threshold < 1 || countValidSignatures(doc.signatures, keys, threshold, message) < threshold) {
    throw invalidUpdate(name, `valid signatures did not meet threshold for ${role}`);
  }
}

/** Role keys of a key list: id → key, dropping ids with no key (those are structure errors elsewhere). */
export function keysFor(keyIds: readonly string[], keys: ReadonlyMap<string, TufKey>): Map<string, TufKey> {
  const out = new Map<string, TufKey>();
  for (const id of keyIds) {
    const key = keys.get(id);
    if (key) out.set(id, key);
  }
  return out;
}

/** Expiry (6.3 steps 1.6, 2, 3): `<role> expired at Mon Jan 2 15:04:05 MST 2006`; absent = year 1. */
export function requireNotExpired(common: SignedCommon, role: string, now: Date, name: InvalidUpdateName): void {
  if (now.getTime() > common.expiresAt.getTime()) throw invalidUpdate(name, `${role} expired at ${formatExpiry(common.expires)}`);
}

/** [R] 6.3 step 1, 14.19: every `keys` map entry must sit under its computed key ID. */
export function requireKeyIdsMatch(keys: ReadonlyMap<string, TufKey>, name: InvalidUpdateName): void {
  for (const [id, key] of keys) {
    if (keyIdOf(key) !== id) throw invalidUpdate(name, 'key ID is not valid for key content');
  }
}

/** `_type` and version ≥ 1 (root, targets, snapshot structure): `<role> type metadata invalid: …`. */
export function requireTypeAndVersion(common: SignedCommon, role: string, type: string, name: InvalidUpdateName): void {
  if (common.type !== type) throw invalidUpdate(name, `${role} type metadata invalid: expected type ${type}, not ${common.type}`);
  if (common.version < 1) throw invalidUpdate(name, `${role} type metadata invalid: version cannot be less than one`);
}
