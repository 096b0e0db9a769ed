import { WharfError } from '../errors/wharf-error.ts';
import { isRepoName, type RepoName } from './names.ts';

export type RouteName = 'base' | 'catalog' | 'trust' | 'upload-start' | 'upload' | 'blob' | 'manifest' | 'tags' | 'referrers';

export interface MatchedRoute {
  route: RouteName;
  /** The repository (or, for trust routes, the GUN path before /_trust). */
  name: string;
  /** The last path segment (reference, digest, upload id) or, for trust, the rest after /_trust/. */
  param: string;
}

// Longest suffix first: a repository may itself contain a "blobs" component.
const PATTERNS: readonly [RouteName, RegExp][] = [
  ['trust', /^(?:(.+?)\/)?_trust\/(.+)$/],
  ['tags', /^(.+)\/tags\/(list)$/],
  ['manifest', /^(.+)\/manifests\/([^/]+)$/],
  ['upload-start', /^(.+)\/blobs\/uploads\/()$/],
  ['upload', /^(.+)\/blobs\/uploads\/([^/]+)$/],
  ['blob', /^(.+)\/blobs\/([^/]+)$/],
  ['referrers', /^(.+)\/referrers\/([^/]+)$/],
];

/**
 * Matches the path after /v2/ (query removed, still percent-encoded). Trust routes match first,
 * before any repository route can shadow them: no repository name component starts with '_'.
 */
export function matchRoute(encodedPath: string): MatchedRoute | undefined {
  if (encodedPath === '') return { route: 'base', name: '', param: '' };
  const path = decodePath(encodedPath);
  if (path === '_catalog') return { route: 'catalog', name: '', param: '' };
  for (const [route, pattern] of PATTERNS) {
    const match = pattern.exec(path);
    if (match) return { route, name: match[1] ?? '', param: match[2]! };
  }
  return undefined;
}

export function repoOf(match: MatchedRoute): RepoName {
  if (!isRepoName(match.name)) throw new WharfError('NAME_INVALID', `invalid repository name: ${match.name.slice(0, 300)}`);
  return match.name;
}

/** Decodes each segment; an encoded '/' inside a segment would change the path's meaning, so it is refused. */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  return path
    .split('/')
    .map((segment) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        throw new WharfError('NAME_INVALID', 'malformed percent-encoding in path');
      }
      if (decoded.includes('/')) throw new WharfError('NAME_INVALID', 'encoded slash in path');
      return decoded;
    })
    .join('/');
}
