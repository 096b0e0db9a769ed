import type { FastifyRequest } from 'fastify';
import { READ_LOCKED } from '../acr/locks.ts';
import { isWharfError } from '../errors/wharf-error.ts';
import type { Digest } from '../oci/digest.ts';
import type { PutResult } from '../oci/manifest-service.ts';
import type { Reference, RepoName } from '../oci/names.ts';
import type { AttributeTarget, ChangeableAttributes } from '../storage/metadata-store.ts';
import { requestActor } from './actor.ts';
import type { EventRecorder, RegistryEvent } from './recorder.ts';

const refText = (ref: Reference) => (ref.kind === 'tag' ? { tag: ref.tag } : { digest: ref.digest });

/** A manifest PUT: `tag.moved` when the tag pointed at another manifest before, else `image.pushed`. */
export function manifestPushed(req: FastifyRequest, repo: RepoName, ref: Reference, put: PutResult, mediaType: string | undefined, size: number): RegistryEvent {
  const tag = ref.kind === 'tag' ? { tag: ref.tag } : {};
  const moved = put.previousDigest !== undefined && put.previousDigest !== put.digest;
  return {
    action: moved ? 'tag.moved' : 'image.pushed',
    actor: requestActor(req),
    repository: repo,
    subject: put.digest,
    detail: { ...tag, size, ...(mediaType === undefined ? {} : { mediaType }), ...(moved ? { previousDigest: put.previousDigest } : {}) },
  };
}

/** A manifest DELETE: by digest the manifest and its tags went, by tag only the tag. */
export function manifestDeleted(req: FastifyRequest, repo: RepoName, ref: Reference): RegistryEvent {
  return {
    action: ref.kind === 'tag' ? 'tag.deleted' : 'image.deleted',
    actor: requestActor(req),
    repository: repo,
    subject: ref.kind === 'tag' ? ref.tag : ref.digest,
    detail: refText(ref),
  };
}

/** DELETE /acr/v1/<repo>: the repository with its manifests, tags and trust data (counts: a repository may hold thousands). */
export function repositoryDeleted(req: FastifyRequest, repo: RepoName, deleted: { manifestsDeleted: readonly Digest[]; tagsDeleted: readonly string[] }): RegistryEvent {
  return {
    action: 'repository.deleted', actor: requestActor(req), repository: repo, subject: repo,
    detail: { manifests: deleted.manifestsDeleted.length, tags: deleted.tagsDeleted.length },
  };
}

/** PATCH /acr/v1 (`wharf repository update`): changeable attributes such as locks, with what was set. */
export function attributesUpdated(req: FastifyRequest, target: AttributeTarget, change: Partial<ChangeableAttributes>): RegistryEvent {
  const on = target.kind === 'repository' ? {} : target.kind === 'tag' ? { tag: target.tag } : { digest: target.digest };
  const subject = target.kind === 'repository' ? target.repo : target.kind === 'tag' ? target.tag : target.digest;
  return { action: 'attributes.updated', actor: requestActor(req), repository: target.repo, subject, detail: { ...on, ...change } };
}

export function blobDeleted(req: FastifyRequest, repo: RepoName, digest: Digest): RegistryEvent {
  return { action: 'blob.deleted', actor: requestActor(req), repository: repo, subject: digest, detail: {} };
}

/**
 * Passes `err` on after recording `pull.refused` when it is the content trust policy's refusal of
 * unsigned content (signed-serving.ts notSigned) or a read lock's (readEnabled=false, acr/locks.ts);
 * for `.catch((err) => { throw ... })`.
 */
export function refusedPull(events: EventRecorder | undefined, req: FastifyRequest, repo: RepoName, ref: Reference, err: unknown): unknown {
  const reason = isWharfError(err) ? (err.detail as { reason?: unknown } | undefined)?.reason : undefined;
  if (events && (reason === 'content trust policy: not signed' || reason === READ_LOCKED)) {
    events.record({ action: 'pull.refused', actor: requestActor(req), repository: repo, subject: ref.kind === 'tag' ? ref.tag : ref.digest, detail: { ...refText(ref), reason } });
  }
  return err;
}
