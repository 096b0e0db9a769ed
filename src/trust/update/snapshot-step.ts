/**
 * Step 3 of 6.3 (client snapshot) and the key checks of steps 3 and 4 (server snapshot, timestamp).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Root } from '../models/root.ts';
import type { Snapshot } from '../models/snapshot.ts';
import type { ServerRole, TufRole } from '../types.ts';
import { keysFor, requireNotExpired, requireThreshold, requireTypeAndVersion } from './checks.ts';
import { invalidUpdate } from './invalid.ts';
import type { ParsedPart } from './parts.ts';

type SnapshotPart = Extract<ParsedPart, { kind: 'snapshot' }>;

const DIGEST_SIZES: Record<string, number> = { sha256: 32, sha512: 64 };

/**
 * An uploaded snapshot: signed by root's snapshot role (whoever holds the key, 14.48), structure,
 * expiry, then hashes and [R] lengths of every file loaded in this update (`loaded`: role → exact bytes,
 * root first), computed over the exact bytes (6.4 [R]).
 */
export function checkUploadedSnapshot(part: SnapshotPart, root: Root, loaded: ReadonlyMap<string, Buffer>, now: Date): void {
  const role = root.roles.get('snapshot');
  requireThreshold(part.doc, 'snapshot', keysFor(role?.keyIds ?? [], root.keys), role?.threshold ?? 0, 'ErrBadSnapshot');
  checkSnapshotStructure(part.body);
  requireNotExpired(part.body, 'snapshot', now, 'ErrBadSnapshot');
  for (const [name, bytes] of loaded) checkListed(part.body, name, bytes);
}

/** `_type`, version ≥ 1, and `meta.root`/`meta.targets` with a 32-byte sha256 (and 64-byte sha512 if any). */
function checkSnapshotStructure(body: Snapshot): void {
  requireTypeAndVersion(body, 'snapshot', 'Snapshot', 'ErrBadSnapshot');
  for (const file of ['root', 'targets']) {
    const hashes = body.meta.get(file)?.hashes;
    if (!hashes?.has('sha256')) throw invalidUpdate('ErrBadSnapshot', `snapshot type metadata invalid: missing ${file} sha256 checksum information`);
    for (const [alg, size] of Object.entries(DIGEST_SIZES)) {
      const digest = hashes.get(alg);
      if (digest && digest.length !== size) {
        throw invalidUpdate('ErrBadSnapshot', `snapshot type metadata invalid: invalid ${file} checksum information, invalid ${alg} checksum`);
      }
    }
  }
}

/** Reference `CheckHashes`: every supported hash listed must match, at least one must be listed; [R] the length too. */
function checkListed(body: Snapshot, name: string, bytes: Buffer): void {
  const entry = body.meta.get(name);
  let checked = 0;
  for (const alg of Object.keys(DIGEST_SIZES)) {
    const expected = entry?.hashes.get(alg);
    if (!expected) continue;
    const actual = createHash(alg).update(bytes).digest();
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw invalidUpdate('ErrBadSnapshot', `${alg} checksum for ${name} did not match: expected ${expected.toString('hex')}`);
    }
    checked++;
  }
  if (!entry || checked === 0) throw invalidUpdate('ErrBadSnapshot', `no checksums for supported algorithms were provided for ${name}`);
  // [R] 6.3 step 3, 14.49: clients download exactly `length` bytes, so a wrong length breaks them.
  if (entry.length !== bytes.length) {
    throw invalidUpdate('ErrBadSnapshot', `length for ${name} did not match: expected ${entry.length}, got ${bytes.length}`);
  }
}

/**
 * The server-held keys of a server role listed in root, when they meet its threshold; else undefined.
 * `held` is asked only about the root-listed IDs and its answer is intersected with them (7.4).
 */
export async function heldRoleKeys(
  root: Root, role: ServerRole, held: (role: ServerRole, keyIds: readonly string[]) => Promise<string[]>,
): Promise<string[] | undefined> {
  const listed = root.roles.get(role);
  if (!listed) return undefined;
  const answer = new Set(await held(role, listed.keyIds));
  const ids = listed.keyIds.filter((id, i) => answer.has(id) && listed.keyIds.indexOf(id) === i);
  return ids.length > 0 && ids.length >= listed.threshold ? ids : undefined;
}

/** Step 3 without an uploaded snapshot ([R] ErrBadHierarchy, 14.47). */
export function noSnapshotKey(): Error {
  return invalidUpdate('ErrBadHierarchy', 'no snapshot was included in update and server does not hold current snapshot key for repository', 'snapshot');
}

/** Step 4 ([R] ErrBadRoot, 14.31; the text, with two spaces, is the reference's). */
export function noTimestampKey(): Error {
  return invalidUpdate('ErrBadRoot', 'no  timestamp keys exist on the server');
}

export type StoredReader = (role: TufRole) => Promise<Buffer | undefined>;
