import { WharfError } from '../errors/wharf-error.ts';
import type { Digest } from '../oci/digest.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type { AttributeIndex, Lock } from '../storage/metadata-store.ts';

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
  const flag = what === 'write' ? 'writeEnabled' : 'deleteEnabled';
  const option = what === 'write' ? '--write-enabled' : '--delete-enabled';
  const [noun, name, selector] = lock.kind === 'repository'
    ? ['repository', lock.repo, `--repository ${lock.repo}`]
    : lock.kind === 'tag'
      ? ['tag', `${lock.repo}:${lock.tag}`, `--image ${lock.repo}:${lock.tag}`]
      : ['manifest', `${lock.repo}@${lock.digest}`, `--image ${lock.repo}@${lock.digest}`];
  return new WharfError(
    'DENIED',
    `${noun} ${name} is locked (${flag}=false); lift the lock with 'wharf repository update ${selector} ${option} true'`,
    { detail: { lock: { ...lockName(lock), [flag]: false } } },
  );
}

function lockName(lock: Lock): Record<string, string> {
  if (lock.kind === 'repository') return { repository: lock.repo };
  if (lock.kind === 'tag') return { repository: lock.repo, tag: lock.tag };
  return { repository: lock.repo, digest: lock.digest };
}
