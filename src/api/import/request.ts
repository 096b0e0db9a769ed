import type { Static } from 'typebox';
import { WharfError } from '../../errors/wharf-error.ts';
import type { ImportRequest } from '../../import/import-service.ts';
import { parseSourceReference } from '../../import/source-reference.ts';
import { isRepoName, isTag, type RepoName, type Tag } from '../../oci/names.ts';
import type { ImportImageRequest } from './schemas.ts';

/**
 * The importImage body as an ImportRequest: the source parsed (spec 6), target names checked
 * against the push grammar, defaults applied (no target: the source's repo:tag, or its repository
 * untagged for a digest). INVALID_REQUEST on anything malformed.
 */
export function toImportRequest(body: Static<typeof ImportImageRequest>): ImportRequest {
  const { source } = body;
  if (source.resourceId !== undefined) {
    invalid('source.resourceId is not supported: a Wharf installation has one registry; give source.registryUri (this registry\'s login server works) with credentials');
  }
  if (source.registryUri === undefined) invalid('source.registryUri is required (a fully qualified source, spec 6)');
  const ref = parseSourceReference(source.registryUri, source.sourceImage);
  const targetTags = unique((body.targetTags ?? []).map(parseTarget));
  const untaggedRepositories = [...new Set((body.untaggedTargetRepositories ?? []).map(parseRepository))];
  if (targetTags.length === 0 && untaggedRepositories.length === 0) {
    if (ref.tag !== undefined) targetTags.push({ repo: ref.repository, tag: ref.tag });
    else untaggedRepositories.push(ref.repository);
  }
  return {
    source: ref,
    ...(source.credentials && { credentials: source.credentials }),
    targetTags,
    untaggedRepositories,
    force: body.mode === 'Force',
    includeReferrers: body.includeReferrers === true,
  };
}

function parseTarget(value: string): { repo: RepoName; tag: Tag } {
  const colon = value.lastIndexOf(':');
  if (colon < 0 || colon < value.lastIndexOf('/')) invalid(`target tag must be repo:tag, not ${JSON.stringify(value.slice(0, 300))}`);
  const tag = value.slice(colon + 1);
  if (!isTag(tag)) invalid(`invalid target tag: ${JSON.stringify(tag.slice(0, 200))}`);
  return { repo: parseRepository(value.slice(0, colon)), tag };
}

function parseRepository(value: string): RepoName {
  if (!isRepoName(value)) invalid(`invalid target repository name: ${JSON.stringify(value.slice(0, 300))}`);
  return value;
}

function unique(targets: { repo: RepoName; tag: Tag }[]): { repo: RepoName; tag: Tag }[] {
  const seen = new Map(targets.map((t) => [`${t.repo}:${t.tag}`, t]));
  return [...seen.values()];
}

function invalid(message: string): never {
  throw new WharfError('INVALID_REQUEST', message);
}
