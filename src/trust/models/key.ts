/** TUF key objects `{"keytype","keyval":{"private":null,"public"}}` (spec 11.4). */
import type { JsonObject, JsonValue } from '../canonical-json.ts';
import { base64Value, isJsonObject, malformed, optionalObject, optionalString } from './fields.ts';

export interface TufKey {
  /** The `keytype` string as sent (`ecdsa`, `ecdsa-x509`, `rsa`, `rsa-x509`, `ed25519`, or unknown). */
  keyType: string;
  /** `keyval.public` exactly as sent (base64); key IDs hash this string (11.6). */
  publicValue: string;
}

/** Parses one key object; MALFORMED_JSON on wrong types or a `public` that is not base64. */
export function keyFromJSON(value: JsonValue | undefined, where: string): TufKey {
  if (!isJsonObject(value)) malformed(`${where} is not an object`);
  const keyType = optionalString(value, 'keytype', where) ?? '';
  const keyval = optionalObject(value, 'keyval', where) ?? {};
  const publicValue = optionalString(keyval, 'public', `${where}.keyval`) ?? '';
  base64Value(publicValue, `${where}.keyval.public`);
  if (keyval.private !== undefined && keyval.private !== null && typeof keyval.private !== 'string') {
    malformed(`${where}.keyval.private is not a string`);
  }
  return { keyType, publicValue };
}

/** The wire form; `private` is always null in metadata. */
export function keyToJSON(key: TufKey): JsonObject {
  return { keytype: key.keyType, keyval: { private: null, public: key.publicValue } };
}

/** A `keys` map (root `keys`, targets `delegations.keys`): key ID as sent → key. */
export function keyMapFromJSON(obj: JsonObject | undefined, where: string): ReadonlyMap<string, TufKey> {
  const keys = new Map<string, TufKey>();
  for (const [id, value] of Object.entries(obj ?? {})) keys.set(id, keyFromJSON(value, `${where}.${id}`));
  return keys;
}
