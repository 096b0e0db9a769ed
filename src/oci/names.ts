import { WharfError } from '../errors/wharf-error.ts';
import { tryParseDigest, type Digest } from './digest.ts';

export type RepoName = string & { readonly __brand: 'RepoName' };
export type Tag = string & { readonly __brand: 'Tag' };
export type Reference = { kind: 'tag'; tag: Tag } | { kind: 'digest'; digest: Digest };

// distribution-spec: <name> path components, joined by '/'.
const NAME_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_GRAMMAR = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The reference implementation's limit on the whole name. */
export const MAX_NAME_LENGTH = 255;

export function isRepoName(value: string): value is RepoName {
  if (value.length === 0 || value.length > MAX_NAME_LENGTH) return false;
  return value.split('/').every((part) => NAME_COMPONENT.test(part));
}

export function parseRepoName(value: string): RepoName {
  if (!isRepoName(value)) throw new WharfError('NAME_INVALID', `invalid repository name: ${value.slice(0, 300)}`);
  return value;
}

export function isTag(value: string): value is Tag {
  return TAG_GRAMMAR.test(value);
}

/** A manifest reference: a digest when it contains ':', otherwise a tag. */
export function parseReference(value: string): Reference {
  if (value.includes(':')) {
    const digest = tryParseDigest(value);
    if (!digest) throw new WharfError('DIGEST_INVALID', `invalid or unsupported digest: ${value.slice(0, 200)}`);
    return { kind: 'digest', digest };
  }
  if (!isTag(value)) throw new WharfError('TAG_INVALID', `invalid tag: ${value.slice(0, 200)}`);
  return { kind: 'tag', tag: value };
}
