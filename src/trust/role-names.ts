/**
 * TUF role names (spec 3, 6.1): `root`, `targets`, `snapshot`, `timestamp`, or a delegation
 * `targets/<seg>(/<seg>)*`. Notary's rule: prefix `targets/`, `path.Clean(name) == name`, characters
 * `[-a-z0-9_/]` only, so `targets/Foo`, `targets/a/../b`, `targets/v1.0` and `targets/` are invalid.
 */
import type { TufRole } from './types.ts';

export const BASE_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
export type BaseRole = (typeof BASE_ROLES)[number];

const DELEGATION = /^targets(?:\/[-a-z0-9_]+)+$/;
/** Storage columns hold 255 bytes (spec 1.2). */
const MAX_ROLE_BYTES = 255;

export function isDelegationName(name: string): boolean {
  return DELEGATION.test(name) && Buffer.byteLength(name) <= MAX_ROLE_BYTES;
}

export function isBaseRole(name: string): name is BaseRole {
  return (BASE_ROLES as readonly string[]).includes(name);
}

/** The role when `name` is a valid role name; undefined otherwise. */
export function parseTufRole(name: string): TufRole | undefined {
  return isBaseRole(name) || isDelegationName(name) ? (name as TufRole) : undefined;
}

/** `targets/a/b` → `targets/a`, `targets/a` → `targets`; base roles have no parent (undefined). */
export function parentOf(role: string): string | undefined {
  const slash = role.lastIndexOf('/');
  return slash < 0 ? undefined : role.slice(0, slash);
}

/** `targets` and its ancestors down to (excluding) `role`, shallowest first: `targets/a/b` → [targets, targets/a]. */
export function ancestorsOf(role: string): string[] {
  const out: string[] = [];
  for (let p = parentOf(role); p !== undefined; p = parentOf(p)) out.unshift(p);
  return out;
}

/** Number of path segments: `targets` 1, `targets/a` 2. Shallower roles are processed first (6.3 step 2). */
export function depthOf(role: string): number {
  return role.split('/').length;
}
