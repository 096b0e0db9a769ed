/** The Root role body (spec 11.3). Structure checks live in validate-update; this only parses. */
import type { JsonObject } from '../canonical-json.ts';
import { commonFromJSON, type SignedCommon } from './envelope.ts';
import { optionalBoolean, optionalObject } from './fields.ts';
import { keyMapFromJSON, type TufKey } from './key.ts';
import { roleKeysFromJSON, type RoleKeys } from './role-keys.ts';

export interface Root extends SignedCommon {
  consistentSnapshot: boolean;
  /** `keys`: key ID as sent → key; may hold unreferenced keys (old root certificates). */
  keys: ReadonlyMap<string, TufKey>;
  /** `roles`: role name → keys and threshold; extra roles are tolerated (11.3). */
  roles: ReadonlyMap<string, RoleKeys>;
}

/** Parses a `signed` object as Root; MALFORMED_JSON on wrong types. */
export function rootFromJSON(signed: JsonObject): Root {
  const roles = new Map<string, RoleKeys>();
  for (const [name, value] of Object.entries(optionalObject(signed, 'roles', 'root') ?? {})) {
    roles.set(name, roleKeysFromJSON(value, `root.roles.${name}`));
  }
  return {
    ...commonFromJSON(signed),
    consistentSnapshot: optionalBoolean(signed, 'consistent_snapshot', 'root') ?? false,
    keys: keyMapFromJSON(optionalObject(signed, 'keys', 'root'), 'root.keys'),
    roles,
  };
}
