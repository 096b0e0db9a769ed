import { WharfError } from '../errors/wharf-error.ts';
import type { Digest } from '../oci/digest.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type { AttributeIndex, AttributeTarget, Lock } from '../storage/metadata-store.ts';

/** What a write or delete touches: the whole repository, one tag, or one manifest. */
export type LockTarget = { kind: 'repository' } | { kind: 'tag'; tag: Tag } | { kind: 'manifest'; digest: Digest };

/**
 * Refuses (403 DENIED) a write while a lock forbids it (ACR's writeEnabled=false): on the
 * repository anything pushed (manifests, new uploads, mounts, trust publishes); on a tag moving or
 * re-pushing it; on a manifest re-pushing it and moving a tag away from it.
 */
export async function requireWritable(attributes: AttributeIndex, repo: RepoName, target: LockTarget): Promise<void> {
  const found = await attributes.locks(repo, target.kind === 'tag' ? { tag: target.tag } : target.kind === 'manifest' ? { digests: [target.digest] } : {});
  const lock = found.find((l) => !l.writeEnabled);
  if (lock) throw locked(lock, 'write');
}

/**
 * Refuses (403 DENIED) a deletion while a lock forbids it (deleteEnabled=false): a tag needs its own
 * and the repository's; a manifest also those of the tags pointing at it (they go with it); the
 * repository every tag's and manifest's in it.
 */
export async function requireDeletable(attributes: AttributeIndex, repo: RepoName, target: LockTarget): Promise<void> {
  const on = target.kind === 'tag' ? { tag: target.tag } : target.kind === 'manifest' ? { digests: [target.digest], tagsOf: [target.digest] } : { all: true };
  const found = await attributes.locks(repo, on);
  // A tag's lookup also brings the manifest it points at, which deleting the tag leaves in place.
  const lock = found.find((l) => !l.deleteEnabled && !(target.kind === 'tag' && l.kind === 'manifest'));
  if (lock) throw locked(lock, 'delete');
}

function locked(lock: Lock, what: 'write' | 'delete'): WharfError {
  return lockedError(lock, what === 'write' ? 'writeEnabled' : 'deleteEnabled');
}

/** The attributes whose `false` refuses something, with the `wharf repository update` option that sets each. */
const OPTION = { writeEnabled: '--write-enabled', deleteEnabled: '--delete-enabled', readEnabled: '--read-enabled' } as const;

/**
 * 403 DENIED naming the locked repository, tag or manifest, the attribute and the command that
 * lifts the lock; `detail.lock` holds the target and the attribute, `detail.reason` for read locks.
 */
export function lockedError(target: AttributeTarget, flag: keyof typeof OPTION): WharfError {
  const [noun, name, selector] = target.kind === 'repository'
    ? ['repository', target.repo, `--repository ${target.repo}`]
    : target.kind === 'tag'
      ? ['tag', `${target.repo}:${target.tag}`, `--image ${target.repo}:${target.tag}`]
      : ['manifest', `${target.repo}@${target.digest}`, `--image ${target.repo}@${target.digest}`];
  const isRead = flag === 'readEnabled';
  return new WharfError(
    'DENIED',
    `${noun} ${name} is ${isRead ? 'read-locked' : 'locked'} (${flag}=false); lift the lock with 'wharf repository update ${selector} ${OPTION[flag]} true'`,
    { detail: { ...(isRead && { reason: READ_LOCKED }), lock: { ...lockName(target), [flag]: false } } },
  );
}

/** `detail.reason` of a read lock's refusal (recorded as pull.refused). */
export const READ_LOCKED = 'readEnabled=false';

function lockName(target: AttributeTarget): Record<string, string> {
  if (target.kind === 'repository') return { repository: target.repo };
  if (target.kind === 'tag') return { repository: target.repo, tag: target.tag };
  return { repository: target.repo, digest: target.digest };
}
