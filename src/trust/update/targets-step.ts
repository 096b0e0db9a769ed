/**
 * Step 2 of 6.3: uploaded `targets` and delegations, shallowest first, each checked against the
 * role that declares it (root for `targets`, the parent's `delegations` otherwise). Parents not
 * uploaded are loaded from storage (they may be expired). Versions are left to storage (step 5).
 */
import type { TufKey } from '../keys.ts';
import type { Root } from '../models/root.ts';
import { targetsFromJSON, type DelegatedRole, type Targets } from '../models/targets.ts';
import { ancestorsOf, depthOf, isDelegationName, parentOf } from '../role-names.ts';
import type { TufRole } from '../types.ts';
import { keysFor, requireKeyIdsMatch, requireNotExpired, requireThreshold, requireTypeAndVersion } from './checks.ts';
import { invalidUpdate } from './invalid.ts';
import type { ParsedPart } from './parts.ts';
import { parseStored } from './root-step.ts';

type TargetsPart = Extract<ParsedPart, { kind: 'targets' }>;

/** A targets-type file loaded in this update: uploaded, or a parent read from storage. */
export interface LoadedTargets {
  body: Targets;
  bytes: Buffer;
  isUploaded: boolean;
}

export async function checkTargets(
  uploads: readonly TargetsPart[],
  root: Root,
  now: Date,
  stored: (role: TufRole) => Promise<Buffer | undefined>,
): Promise<Map<string, LoadedTargets>> {
  const loaded = new Map<string, LoadedTargets>();
  const ordered = [...uploads].sort((a, b) => depthOf(a.role) - depthOf(b.role) || (a.role < b.role ? -1 : 1));
  for (const part of ordered) {
    for (const ancestor of ancestorsOf(part.role)) {
      if (loaded.has(ancestor)) continue;
      const bytes = await stored(ancestor as TufRole);
      // A missing parent is skipped here; the delegation lookup below then fails.
      if (bytes) loaded.set(ancestor, { body: parseStored(bytes, ancestor, targetsFromJSON), bytes, isUploaded: false });
    }
    if (part.role === 'targets') checkTopLevel(part, root, now);
    else checkDelegation(part, delegationChain(part.role, loaded), now);
    loaded.set(part.role, { body: part.body, bytes: part.bytes, isUploaded: true });
  }
  return loaded;
}

/** `targets`: signatures by root's targets role, then structure, then expiry (reference order). */
function checkTopLevel(part: TargetsPart, root: Root, now: Date): void {
  const role = root.roles.get('targets');
  requireThreshold(part.doc, 'targets', keysFor(role?.keyIds ?? [], root.keys), role?.threshold ?? 0, 'ErrBadTargets');
  checkStructure(part.role, part.body);
  // Top-level targets is unrestricted; its children's paths are free.
  requireNotExpired(part.body, 'targets', now, 'ErrBadTargets');
}

/** A delegation: structure, then signatures by its declaration, then [R] paths, then expiry. */
function checkDelegation(part: TargetsPart, links: readonly ChainLink[], now: Date): void {
  const last = links[links.length - 1];
  if (!last) throw doesNotExist(part.role);
  const chain = links.map((link) => link.declaration);
  checkStructure(part.role, part.body);
  // The keys come from the declaring parent's `delegations.keys`.
  requireThreshold(part.doc, part.role, keysFor(last.declaration.keyIds, last.keys), last.declaration.threshold, 'ErrBadTargets');
  // [R] (overrides the spec's "accept", 6.3 step 2): every target must lie inside the delegated paths.
  for (const name of part.body.targets.keys()) {
    if (!chain.every((d) => isWithin(name, d.paths))) {
      throw invalidUpdate('ErrBadTargets', `${part.role} type metadata invalid: target ${JSON.stringify(name)} is outside the paths delegated to ${part.role}`);
    }
  }
  // [R] and every child's paths inside this role's paths.
  for (const child of part.body.delegations.roles) {
    for (const path of child.paths ?? []) {
      if (!chain.every((d) => isWithin(path, d.paths))) {
        throw invalidUpdate('ErrBadTargets', `${part.role} type metadata invalid: path ${JSON.stringify(path)} of ${child.name} is outside the paths delegated to ${part.role}`);
      }
    }
  }
  requireNotExpired(part.body, part.role, now, 'ErrBadTargets');
}

/** One declaration on the way from `targets` to a delegation, with the keys map of the file declaring it. */
interface ChainLink {
  declaration: DelegatedRole;
  keys: ReadonlyMap<string, TufKey>;
}

/**
 * The declarations from `targets` down to `role` (`targets/a/b` → [decl of targets/a, decl of targets/a/b]),
 * each found in its loaded parent. Any missing link: `tuf: invalid role <role>. delegation does not exist` (14.37).
 */
function delegationChain(role: string, loaded: ReadonlyMap<string, LoadedTargets>): ChainLink[] {
  if (!loaded.has('targets')) throw invalidUpdate('ErrBadTargets', 'targets must be loaded first');
  const chain: ChainLink[] = [];
  for (const name of [...ancestorsOf(role).slice(1), role]) {
    const parent = loaded.get(parentOf(name) ?? '');
    const declaration = parent?.body.delegations.roles.find((d) => d.name === name);
    if (!parent || !declaration) throw doesNotExist(role);
    chain.push({ declaration, keys: parent.body.delegations.keys });
  }
  return chain;
}

function doesNotExist(role: string): Error {
  return invalidUpdate('ErrBadTargets', `tuf: invalid role ${role}. delegation does not exist`);
}

/** A name (or child path) lies inside `paths` when some path is a plain string prefix of it; `""` is all (11.3). */
function isWithin(name: string, paths: readonly string[] | undefined): boolean {
  return (paths ?? []).some((p) => name.startsWith(p));
}

/**
 * Targets structure (6.3 step 2, Notary `isValidTargetsStructure`): `_type` Targets, version ≥ 1; each
 * declared delegation a valid direct child with threshold ≥ 1 and known key IDs; [R] key IDs match content.
 */
function checkStructure(role: string, body: Targets): void {
  requireTypeAndVersion(body, role, 'Targets', 'ErrBadTargets');
  const seen = new Set<string>();
  for (const d of body.delegations.roles) {
    if (!isDelegationName(d.name) || parentOf(d.name) !== role || seen.has(d.name)) {
      throw invalidUpdate('ErrBadTargets', `${role} type metadata invalid: delegation role ${d.name} invalid`);
    }
    seen.add(d.name);
    if (d.threshold < 1) {
      throw invalidUpdate('ErrBadTargets', `${role} type metadata invalid: invalid threshold specified for ${d.name}: ${d.threshold} `);
    }
    for (const id of d.keyIds) {
      if (!body.delegations.keys.has(id)) {
        throw invalidUpdate('ErrBadTargets', `${role} type metadata invalid: key ID ${id} specified in ${d.name} without corresponding key`);
      }
    }
  }
  requireKeyIdsMatch(body.delegations.keys, 'ErrBadTargets');
}
