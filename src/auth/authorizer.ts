import type { Permission } from './permissions.ts';
import { patternCovers, patternMatches, type RepositoryPattern } from './repository-pattern.ts';
import { ROLES, type RoleName } from './roles.ts';
import { SCOPE_MAP_ACTION_PERMISSIONS, type ScopeMap } from './scope-maps.ts';

/** Where a role assignment applies (spec 3): the whole registry, or repositories matching a pattern. */
export type AssignmentScope = { kind: 'registry' } | { kind: 'repository'; pattern: RepositoryPattern };

export interface RoleAssignment {
  readonly role: RoleName;
  readonly scope: AssignmentScope;
}

/**
 * Everything the assignments grant on one repository: the union of every registry-scope assignment
 * and every repository-scope assignment whose pattern matches. There is no deny.
 */
export function effectivePermissions(assignments: readonly RoleAssignment[], repo: string): Set<Permission> {
  const held = new Set<Permission>();
  for (const { role, scope } of assignments) {
    if (scope.kind === 'registry' || patternMatches(scope.pattern, repo)) addAll(held, ROLES[role].repository);
  }
  return held;
}

/**
 * Registry-level permissions: only registry-scope assignments count, and they include the roles'
 * repository permissions (held on every repository), e.g. `access/write` to manage any assignment.
 */
export function registryPermissions(assignments: readonly RoleAssignment[]): Set<Permission> {
  const held = new Set<Permission>();
  for (const { role, scope } of assignments) {
    if (scope.kind !== 'registry') continue;
    addAll(held, ROLES[role].repository);
    addAll(held, ROLES[role].registry);
  }
  return held;
}

/**
 * What the assignments grant at a management scope (who may view or change role assignments, import
 * or reset trust there): at registry scope `registryPermissions`; at a repository pattern, the
 * repository permissions of assignments whose scope covers the whole pattern.
 */
export function permissionsAtScope(assignments: readonly RoleAssignment[], at: AssignmentScope): Set<Permission> {
  if (at.kind === 'registry') return registryPermissions(assignments);
  const held = new Set<Permission>();
  for (const { role, scope } of assignments) {
    if (scope.kind === 'registry' || patternCovers(scope.pattern, at.pattern)) addAll(held, ROLES[role].repository);
  }
  return held;
}

/** What a scoped token's scope map grants on one repository: the union of its matching rules. */
export function scopeMapPermissions(scopeMap: ScopeMap, repo: string): Set<Permission> {
  const held = new Set<Permission>();
  for (const rule of scopeMap.rules) {
    if (!patternMatches(rule.pattern, repo)) continue;
    for (const action of rule.actions) addAll(held, SCOPE_MAP_ACTION_PERMISSIONS[action]);
  }
  return held;
}

function addAll(into: Set<Permission>, from: readonly Permission[]): void {
  for (const p of from) into.add(p);
}
