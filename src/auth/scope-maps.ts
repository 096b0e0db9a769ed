import { SCOPE_MAP_ACTIONS, type Permission, type ScopeMapAction } from './permissions.ts';
import { parseRepositoryPattern, type RepositoryPattern } from './repository-pattern.ts';

/** One rule of a scope map: actions on the repositories a pattern covers. Rules are additive. */
export interface ScopeMapRule {
  readonly pattern: RepositoryPattern;
  readonly actions: readonly ScopeMapAction[];
}

/** What a scoped token may do (spec 4); exactly one per token. */
export interface ScopeMap {
  readonly name: string;
  readonly kind: 'SystemDefined' | 'UserDefined';
  readonly description?: string;
  readonly rules: readonly ScopeMapRule[];
}

/**
 * Permissions each scope-map action confers. `content/write` and `content/delete` also confer
 * deleting referrers: spec 4's request table lets content/write delete manifests that carry a subject.
 */
export const SCOPE_MAP_ACTION_PERMISSIONS: Readonly<Record<ScopeMapAction, readonly Permission[]>> = {
  'content/read': ['content/read'],
  'content/write': ['content/write', 'content/delete-referrers'],
  'content/delete': ['content/delete', 'content/delete-referrers'],
  'metadata/read': ['metadata/read'],
  'metadata/write': ['metadata/write'],
  'content/sign': ['content/sign'],
};

const ALL = '*' as RepositoryPattern;
function system(name: string, description: string, actions: readonly ScopeMapAction[]): ScopeMap {
  return { name, kind: 'SystemDefined', description, rules: [{ pattern: ALL, actions }] };
}

/** The read-only system scope maps, on every repository; `_repositories_push_sign` is Wharf's [W]. */
export const SYSTEM_SCOPE_MAPS: readonly ScopeMap[] = [
  system('_repositories_admin', 'Can perform all read, write and delete operations on the registry',
    ['content/read', 'content/write', 'content/delete', 'metadata/read', 'metadata/write']),
  system('_repositories_pull', 'Can pull any repository of the registry', ['content/read']),
  system('_repositories_pull_metadata_read', 'Can perform all read operations on the registry', ['content/read', 'metadata/read']),
  system('_repositories_push', 'Can push to any repository of the registry', ['content/read', 'content/write']),
  system('_repositories_push_metadata_write', 'Can perform all read and write operations on the registry',
    ['content/read', 'content/write', 'metadata/read', 'metadata/write']),
  system('_repositories_push_sign', 'Can push to and sign any repository of the registry', ['content/read', 'content/write', 'content/sign']),
];

export function systemScopeMap(name: string): ScopeMap | undefined {
  return SYSTEM_SCOPE_MAPS.find((m) => m.name === name);
}

export type ArmActionResult = { ok: true; pattern: RepositoryPattern; action: ScopeMapAction } | { ok: false; message: string };

/** Parses the ARM form `repositories/<pattern>/<action>` (e.g. `repositories/team/*\/content/read`). */
export function parseArmAction(value: string): ArmActionResult {
  const prefix = 'repositories/';
  const action = SCOPE_MAP_ACTIONS.find((a) => value.endsWith(`/${a}`));
  if (!value.startsWith(prefix) || action === undefined) {
    return { ok: false, message: `expected repositories/<repository>/<action> with one of ${SCOPE_MAP_ACTIONS.join(', ')}` };
  }
  const pattern = parseRepositoryPattern(value.slice(prefix.length, value.length - action.length - 1));
  return pattern.ok ? { ok: true, pattern: pattern.pattern, action } : pattern;
}

/** The ARM form of one action on one pattern. */
export function formatArmAction(pattern: RepositoryPattern, action: ScopeMapAction): string {
  return `repositories/${pattern}/${action}`;
}
