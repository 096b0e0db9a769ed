import { createHash } from 'node:crypto';
import type { Digest } from '../oci/digest.ts';
import { isTag } from '../oci/names.ts';
import { canonicalJson } from './canonical-json.ts';
import {
  parseEnvelope, rootFromJSON, snapshotFromJSON, targetsFromJSON, type Envelope, type FileMeta, type Targets,
} from './models/index.ts';
import type { TufKey } from './keys.ts';
import { countValidSignatures } from './signatures.ts';

/** The current files of one GUN as a client would fetch them; `releases` is `targets/releases`. */
export interface CurrentTrustFiles {
  root: Buffer;
  timestamp: Buffer;
  snapshot: Buffer;
  targets: Buffer;
  releases?: Buffer;
}

/** S(r) of spec 5.3: tag → signed digest, and until when that answer holds (the earliest expiry used). */
export interface SignedTags {
  readonly tags: ReadonlyMap<string, Digest>;
  readonly validUntil: number;
}

export const NO_SIGNED_TAGS: SignedTags = { tags: new Map(), validUntil: Number.POSITIVE_INFINITY };

const RELEASES = 'targets/releases';

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
  addTargets(tags, targetsBody, undefined);
  const releases = files.releases && verifiedReleases(files.releases, snapshotMeta.get(RELEASES), targetsBody, now);
  if (releases) {
    validUntil = Math.min(validUntil, releases.envelope.expiresAt.getTime());
    // targets/releases wins over targets for the same name (docker: releases first).
    addTargets(tags, releases.body, releases.paths);
  }
  return { tags, validUntil };
}

/** The delegation, when targets declares it, the snapshot lists these bytes, its threshold is met and it is unexpired. */
function verifiedReleases(
  bytes: Buffer, meta: FileMeta | undefined, parent: Targets, now: number,
): { envelope: Envelope; body: Targets; paths: readonly string[] } | undefined {
  const role = parent.delegations.roles.find((r) => r.name === RELEASES);
  if (!role || !listed(meta, bytes)) return undefined;
  const envelope = parseEnvelope(bytes);
  if (!signedBy(envelope, parent.delegations.keys, role) || expired(envelope, now)) return undefined;
  return { envelope, body: targetsFromJSON(envelope.signedValue), paths: role.paths ?? [] };
}

/** Adds sha256 targets with tag-shaped names; `paths` (a delegation's prefixes) limits the names. */
function addTargets(tags: Map<string, Digest>, body: Targets, paths: readonly string[] | undefined): void {
  for (const [name, meta] of body.targets) {
    if (!isTag(name)) continue;
    if (paths && !paths.some((prefix) => name.startsWith(prefix))) continue;
    const sha256 = meta.hashes.get('sha256');
    if (sha256?.length === 32) tags.set(name, `sha256:${sha256.toString('hex')}` as Digest);
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

