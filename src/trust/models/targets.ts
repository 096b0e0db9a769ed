/** The Targets role body, top-level or delegated, with its delegations (spec 11.3). */
import type { JsonObject } from '../canonical-json.ts';
import { commonFromJSON, type SignedCommon } from './envelope.ts';
import { isJsonObject, malformed, optionalArray, optionalObject, optionalString, stringList } from './fields.ts';
import { fileMetaMapFromJSON, type FileMeta } from './file-meta.ts';
import { keyMapFromJSON, type TufKey } from './key.ts';
import { roleKeysOf, type RoleKeys } from './role-keys.ts';

export interface DelegatedRole extends RoleKeys {
  name: string;
  /** Plain string prefixes; `""` = every name; undefined when absent (then no target is delegated). */
  paths: readonly string[] | undefined;
}

export interface Targets extends SignedCommon {
  /** Target name → hashes, length, custom. */
  targets: ReadonlyMap<string, FileMeta>;
  delegations: { keys: ReadonlyMap<string, TufKey>; roles: readonly DelegatedRole[] };
}

/** Parses a `signed` object as Targets; MALFORMED_JSON on wrong types. */
export function targetsFromJSON(signed: JsonObject): Targets {
  const delegations = optionalObject(signed, 'delegations', 'targets') ?? {};
  const roles = (optionalArray(delegations, 'roles', 'delegations') ?? []).map((value, i): DelegatedRole => {
    const where = `delegations.roles[${i}]`;
    if (!isJsonObject(value)) malformed(`${where} is not an object`);
    return {
      name: optionalString(value, 'name', where) ?? '',
      ...roleKeysOf(value, where),
      paths: stringList(optionalArray(value, 'paths', where), `${where}.paths`),
    };
  });
  return {
    ...commonFromJSON(signed),
    targets: fileMetaMapFromJSON(optionalObject(signed, 'targets', 'targets'), 'targets.targets'),
    delegations: { keys: keyMapFromJSON(optionalObject(delegations, 'keys', 'delegations'), 'delegations.keys'), roles },
  };
}
