import { isRepoName, MAX_NAME_LENGTH } from '../oci/names.ts';

/**
 * Which repositories a role assignment or scope-map rule covers (spec 3 and 4): an exact name, `*`
 * (all), or `<prefix>/*` (everything below the prefix, at any depth, not the prefix itself). Exactly one
 * wildcard, only as the whole last segment: `team*`, `a/*\/b`, `*\/*` are invalid. Rules cover
 * repositories that do not exist yet.
 */
export type RepositoryPattern = string & { readonly __brand: 'RepositoryPattern' };

export type PatternResult = { ok: true; pattern: RepositoryPattern } | { ok: false; message: string };

/** Validates a pattern; never throws (the management API turns `message` into its own error). */
export function parseRepositoryPattern(value: string): PatternResult {
  if (value === '*') return { ok: true, pattern: value as RepositoryPattern };
  const prefix = value.endsWith('/*') ? value.slice(0, -2) : value;
  if (prefix.includes('*')) return { ok: false, message: `only one wildcard, as the last segment ("a/*"): ${value.slice(0, 300)}` };
  if (!isRepoName(prefix) || value.length > MAX_NAME_LENGTH) return { ok: false, message: `invalid repository name: ${value.slice(0, 300)}` };
  return { ok: true, pattern: value as RepositoryPattern };
}

export function isRepositoryPattern(value: string): value is RepositoryPattern {
  return parseRepositoryPattern(value).ok;
}

/** Whether the pattern covers the repository. */
export function patternMatches(pattern: RepositoryPattern, repo: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return repo.startsWith(pattern.slice(0, -1));
  return pattern === repo;
}

/**
 * Whether every repository `inner` can cover is covered by `outer` (management at a scope: an Owner
 * at `team/*` manages assignments at `team/*`, `team/app` or `team/app/*`, not at `*` or `other`).
 */
export function patternCovers(outer: RepositoryPattern, inner: RepositoryPattern): boolean {
  if (outer === '*') return true;
  if (inner === '*') return false;
  if (!outer.endsWith('/*')) return outer === inner;
  return inner.startsWith(outer.slice(0, -1));
}
