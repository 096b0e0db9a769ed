import { createHash } from 'node:crypto';
import type { Digest } from '../oci/digest.ts';
import { isTag } from '../oci/names.ts';
import { canonicalJson } from './canonical-json.ts';
import {
  parseEnvelope, rootFromJSON, snapshotFromJSON, targetsFromJSON, type DelegatedRole, type Envelope, type FileMeta, type Targets,
} from './models/index.ts';
import type { TufKey } from './keys.ts';
import { isDelegationName, parentOf } from './role-names.ts';
import { countValidSignatures } from './signatures.ts';

/** The current files of one GUN as a client would fetch them; `releases` is `targets/releases`. */
export interface CurrentTrustFiles {
  root: Buffer;
  timestamp: Buffer;
  snapshot: Buffer;
  targets: Buffer;
  releases?: Buffer;
  /** The other delegations (`targets/<name>`, nested ones too) by role name: only they name signers. */
  delegations?: ReadonlyMap<string, Buffer>;
}

/** S(r) of spec 5.3: tag → signed digest, and until when that answer holds (the earliest expiry used). */
export interface SignedTags {
  readonly tags: ReadonlyMap<string, Digest>;
  /**
   * Per signed tag (same keys as `tags`), who signed that digest as `docker trust inspect` names
   * them, sorted: see signersOf. Only listings read it; serving needs `tags` alone.
   */
  readonly signers: ReadonlyMap<string, readonly string[]>;
  readonly validUntil: number;
}

export const NO_SIGNED_TAGS: SignedTags = { tags: new Map(), signers: new Map(), validUntil: Number.POSITIVE_INFINITY };

const RELEASES = 'targets/releases';
/** docker's name for a tag signed only by `targets` or `targets/releases` (cli/command/trust releasedRoleName). */
export const REPO_ADMIN = 'Repo Admin';
const ONLY_REPO_ADMIN: readonly string[] = Object.freeze([REPO_ADMIN]);

/** The delegations a snapshot lists besides `targets/releases`: the files signer names come from. */
export function listedDelegations(snapshot: Buffer): string[] {
  const meta = snapshotFromJSON(parseEnvelope(snapshot).signedValue).meta;
  return [...meta.keys()].filter((name) => name !== RELEASES && isDelegationName(name));
}

/**
 * Verifies a GUN's current trust data the way docker's trusted pull does (TUF client workflow:
 * root, timestamp, snapshot, targets, then the `targets/releases` delegation), and returns the
 * signed tags: each tag's target in `targets/releases` (when that role verifies), else in
 * `targets`. A role whose signatures miss its threshold, whose bytes differ from what the signed
 * snapshot/timestamp lists, or which has expired signs nothing; when root, timestamp, snapshot or
 * targets fail, nothing is signed. Only sha256 targets whose names are valid tags count.
 */
export function verifySignedTags(files: CurrentTrustFiles, now: number): SignedTags {
  const root = parseEnvelope(files.root);
  const rootBody = rootFromJSON(root.signedValue);
  // The root must be signed by its own root role (the chain to it was checked on every publish).
  if (!signedBy(root, rootBody.keys, rootBody.roles.get('root')) || expired(root, now)) return NO_SIGNED_TAGS;

  const timestamp = parseEnvelope(files.timestamp);
  if (!signedBy(timestamp, rootBody.keys, rootBody.roles.get('timestamp')) || expired(timestamp, now)) return NO_SIGNED_TAGS;
  if (!listed(snapshotFromJSON(timestamp.signedValue).meta.get('snapshot'), files.snapshot)) return NO_SIGNED_TAGS;

  const snapshot = parseEnvelope(files.snapshot);
  if (!signedBy(snapshot, rootBody.keys, rootBody.roles.get('snapshot')) || expired(snapshot, now)) return NO_SIGNED_TAGS;
  const snapshotMeta = snapshotFromJSON(snapshot.signedValue).meta;

  const targets = parseEnvelope(files.targets);
  if (!listed(snapshotMeta.get('targets'), files.targets)) return NO_SIGNED_TAGS;
  if (!signedBy(targets, rootBody.keys, rootBody.roles.get('targets')) || expired(targets, now)) return NO_SIGNED_TAGS;
  const targetsBody = targetsFromJSON(targets.signedValue);

  let validUntil = Math.min(...[root, timestamp, snapshot, targets].map((e) => e.expiresAt.getTime()));
  const tags = new Map<string, Digest>();
  const counted = new Map<string, FileMeta>();
  addTargets(tags, counted, targetsBody, undefined);
  const releases = files.releases && verifiedReleases(files.releases, snapshotMeta.get(RELEASES), targetsBody, now);
  if (releases) {
    validUntil = Math.min(validUntil, releases.envelope.expiresAt.getTime());
    // targets/releases wins over targets for the same name (docker: releases first).
    addTargets(tags, counted, releases.body, releases.paths);
  }
  const signed = signersOf(counted, { body: targetsBody, releases, delegations: files.delegations, snapshotMeta, now });
  return { tags, signers: signed.signers, validUntil: Math.min(validUntil, signed.validUntil) };
}

interface VerifiedRole {
  name: string;
  body: Targets;
  /** The delegation's `paths` cut to its parent's (notary's RestrictDelegationPathPrefixes); undefined: every name (targets). */
  paths: readonly string[] | undefined;
}

/**
 * Signer names per signed tag, as `docker trust inspect` gives them (docker/cli
 * matchReleasedSignatures): every delegation other than `targets/releases` whose target of that
 * name has the same sha256 and length as the target that counts, named without `targets/`
 * (`targets/alice` → `alice`, `targets/a/b` → `a/b`), sorted as its table prints them; a tag no
 * such delegation signed is the repository admin's (`Repo Admin`). The delegation tree is walked
 * from `targets` as notary's client does: a role counts only when its parent verified and declares
 * it, the snapshot lists its exact bytes, its parent's keys meet the threshold, it is unexpired,
 * and the name is within its paths (cut to the parent's); anything else contributes nothing.
 * `validUntil`: the earliest expiry of a delegation that verified.
 */
function signersOf(
  counted: ReadonlyMap<string, FileMeta>,
  from: {
    body: Targets;
    releases: { body: Targets; paths: readonly string[] } | undefined;
    delegations: ReadonlyMap<string, Buffer> | undefined;
    snapshotMeta: ReadonlyMap<string, FileMeta>;
    now: number;
  },
): { signers: Map<string, readonly string[]>; validUntil: number } {
  const names = new Map<string, string[]>();
  let validUntil = Number.POSITIVE_INFINITY;
  const queue: VerifiedRole[] = [{ name: 'targets', body: from.body, paths: undefined }];
  const seen = new Set<string>();
  for (let parent = queue.shift(); parent; parent = queue.shift()) {
    for (const role of parent.body.delegations.roles) {
      // Only direct children, each once: the reference rejects other names on publish, and notary skips them.
      if (!isDelegationName(role.name) || parentOf(role.name) !== parent.name || seen.has(role.name)) continue;
      seen.add(role.name);
      const paths = restrictPaths(role.paths ?? [], parent.paths);
      if (role.name === RELEASES) {
        // Verified above with the digests; it names no signer, but its children may.
        if (from.releases) queue.push({ name: role.name, body: from.releases.body, paths });
        continue;
      }
      const verified = verifiedDelegation(from.delegations?.get(role.name), role, parent.body, from.snapshotMeta, from.now);
      if (!verified) continue;
      validUntil = Math.min(validUntil, verified.envelope.expiresAt.getTime());
      queue.push({ name: role.name, body: verified.body, paths });
      const signer = role.name.slice('targets/'.length);
      for (const [tag, meta] of verified.body.targets) {
        const signed = counted.get(tag);
        if (!signed || !sameTarget(meta, signed) || !paths.some((prefix) => tag.startsWith(prefix))) continue;
        const list = names.get(tag);
        if (list) list.push(signer);
        else names.set(tag, [signer]);
      }
    }
  }
  const signers = new Map<string, readonly string[]>();
  for (const tag of counted.keys()) signers.set(tag, names.get(tag)?.sort() ?? ONLY_REPO_ADMIN);
  return { signers, validUntil };
}

/** A child's paths that lie within one of its parent's (all of them under `targets`). */
function restrictPaths(paths: readonly string[], parent: readonly string[] | undefined): readonly string[] {
  return parent === undefined ? paths : paths.filter((path) => parent.some((prefix) => path.startsWith(prefix)));
}

/** A delegation other than targets/releases: its envelope and body when it verifies, else undefined (never throws). */
function verifiedDelegation(
  bytes: Buffer | undefined, role: DelegatedRole, parent: Targets, snapshotMeta: ReadonlyMap<string, FileMeta>, now: number,
): { envelope: Envelope; body: Targets } | undefined {
  if (!bytes) return undefined;
  try {
    return verifiedRole(bytes, snapshotMeta.get(role.name), role, parent, now);
  } catch {
    // Bytes that do not parse sign nothing; the other roles still count.
    return undefined;
  }
}

/** Same sha256 and the same length (0 when absent) as the target that counts. */
function sameTarget(meta: FileMeta, signed: FileMeta): boolean {
  const sha256 = meta.hashes.get('sha256');
  return sha256 !== undefined && meta.length === signed.length && sha256.equals(signed.hashes.get('sha256')!);
}

/** targets/releases, when targets declares it and it verifies (verifiedRole), with its paths. */
function verifiedReleases(
  bytes: Buffer, meta: FileMeta | undefined, parent: Targets, now: number,
): { envelope: Envelope; body: Targets; paths: readonly string[] } | undefined {
  const role = parent.delegations.roles.find((r) => r.name === RELEASES);
  const verified = role && verifiedRole(bytes, meta, role, parent, now);
  return verified && { ...verified, paths: role.paths ?? [] };
}

/**
 * A delegated role's envelope and body when the snapshot lists these bytes (`meta`), the parent's
 * keys for it meet its threshold and it is unexpired; undefined otherwise. Throws on bytes that do
 * not parse.
 */
function verifiedRole(
  bytes: Buffer, meta: FileMeta | undefined, role: DelegatedRole, parent: Targets, now: number,
): { envelope: Envelope; body: Targets } | undefined {
  if (!listed(meta, bytes)) return undefined;
  const envelope = parseEnvelope(bytes);
  if (!signedBy(envelope, parent.delegations.keys, role) || expired(envelope, now)) return undefined;
  return { envelope, body: targetsFromJSON(envelope.signedValue) };
}

/** Adds sha256 targets with tag-shaped names, and the entry that counts for each; `paths` (a delegation's prefixes) limits the names. */
function addTargets(tags: Map<string, Digest>, counted: Map<string, FileMeta>, body: Targets, paths: readonly string[] | undefined): void {
  for (const [name, meta] of body.targets) {
    if (!isTag(name)) continue;
    if (paths && !paths.some((prefix) => name.startsWith(prefix))) continue;
    const sha256 = meta.hashes.get('sha256');
    if (sha256?.length !== 32) continue;
    tags.set(name, `sha256:${sha256.toString('hex')}` as Digest);
    counted.set(name, meta);
  }
}

function signedBy(envelope: Envelope, keys: ReadonlyMap<string, TufKey>, role: { keyIds: readonly string[]; threshold: number } | undefined): boolean {
  if (!role || role.threshold < 1) return false;
  const roleKeys = new Map<string, TufKey>();
  for (const id of role.keyIds) {
    const key = keys.get(id);
    if (key) roleKeys.set(id, key);
  }
  const message = canonicalJson(envelope.signedValue);
  return countValidSignatures(envelope.signatures, roleKeys, role.threshold, message) >= role.threshold;
}

function expired(envelope: Envelope, now: number): boolean {
  return envelope.expiresAt.getTime() <= now;
}

/** Whether the listing names these exact bytes (sha256, and the length when given). */
function listed(meta: FileMeta | undefined, bytes: Buffer): boolean {
  const sha256 = meta?.hashes.get('sha256');
  if (!meta || !sha256) return false;
  if (meta.length > 0 && meta.length !== bytes.length) return false;
  return createHash('sha256').update(bytes).digest().equals(sha256);
}

