/** A role's key list and threshold: root `roles.<name>` and each delegation (spec 11.3). */
import type { JsonObject, JsonValue } from '../canonical-json.ts';
import { isJsonObject, malformed, optionalArray, optionalInteger, stringList } from './fields.ts';

export interface RoleKeys {
  /** `keyids`; null or absent reads as empty (docker writes null after `signer remove`, 6.3 step 2). */
  keyIds: readonly string[];
  /** 0 when absent (then rejected as an invalid threshold). */
  threshold: number;
}

export function roleKeysFromJSON(value: JsonValue | undefined, where: string): RoleKeys {
  if (!isJsonObject(value)) malformed(`${where} is not an object`);
  return roleKeysOf(value, where);
}

export function roleKeysOf(obj: JsonObject, where: string): RoleKeys {
  return {
    keyIds: stringList(optionalArray(obj, 'keyids', where), `${where}.keyids`) ?? [],
    threshold: optionalInteger(obj, 'threshold', where) ?? 0,
  };
}
