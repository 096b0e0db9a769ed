import { WharfError } from '../errors/wharf-error.ts';
import { tryParseDigest, type Digest } from '../oci/digest.ts';
import { isRepoName, isTag, type RepoName, type Tag } from '../oci/names.ts';

/** An image in another registry: where it is and which manifest (a tag, a digest, or both). */
export interface SourceReference {
  /** host[:port] that is contacted (Docker Hub's `docker.io` becomes `registry-1.docker.io`). */
  readonly host: string;
  readonly repository: RepoName;
  readonly tag?: Tag;
  readonly digest?: Digest;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/;
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * Parses `registryUri` (host[:port], optionally with https://) and `sourceImage` (`repo:tag`,
 * `repo@digest`, `repo:tag@digest`). A sourceImage that repeats the registry as its first
 * component is accepted (spec 6: a duplicated login-server prefix is stripped). INVALID_REQUEST
 * on anything malformed.
 */
export function parseSourceReference(registryUri: string, sourceImage: string): SourceReference {
  const host = registryUri.replace(/^https:\/\//, '').replace(/\/+$/, '');
  if (!HOST.test(host)) invalid(`source.registryUri must be a registry host[:port], not ${JSON.stringify(registryUri.slice(0, 200))}`);
  let image = sourceImage;
  if (image.startsWith(`${host}/`)) image = image.slice(host.length + 1);
  const at = image.indexOf('@');
  const digestText = at >= 0 ? image.slice(at + 1) : undefined;
  const named = at >= 0 ? image.slice(0, at) : image;
  const colon = named.lastIndexOf(':');
  const tagText = colon > named.lastIndexOf('/') && colon >= 0 ? named.slice(colon + 1) : undefined;
  let repository = tagText === undefined ? named : named.slice(0, colon);
  const isHub = DOCKER_HUB.has(host);
  // Docker Hub's official images live under library/ (what `docker pull alpine` resolves to).
  if (isHub && !repository.includes('/')) repository = `library/${repository}`;
  if (!isRepoName(repository)) invalid(`invalid source repository name: ${JSON.stringify(repository.slice(0, 300))}`);
  if (tagText !== undefined && !isTag(tagText)) invalid(`invalid source tag: ${JSON.stringify(tagText.slice(0, 200))}`);
  const digest = digestText === undefined ? undefined : tryParseDigest(digestText);
  if (digestText !== undefined && digest === undefined) invalid(`invalid or unsupported source digest: ${digestText.slice(0, 200)}`);
  if (tagText === undefined && digest === undefined) invalid('source.sourceImage needs a tag (repo:tag) or a digest (repo@sha256:…)');
  return {
    host: isHub ? 'registry-1.docker.io' : host.toLowerCase(),
    repository,
    ...(tagText !== undefined && { tag: tagText }),
    ...(digest !== undefined && { digest }),
  };
}

/** `host/repo:tag@digest` as a person would write it. */
export function formatSourceReference(ref: SourceReference): string {
  return `${ref.host}/${ref.repository}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

function invalid(message: string): never {
  throw new WharfError('INVALID_REQUEST', message);
}
