import type { RepoName } from '../oci/names.ts';
import type { AccessRecords, RoleAssignmentRecord, ScopeMapRecord } from '../storage/metadata-store.ts';
import type { GunPolicy } from '../trust/gun.ts';
import { effectivePermissions, registryPermissions, scopeMapPermissions, type AssignmentScope, type RoleAssignment } from './authorizer.ts';
import type { Principal } from './identity.ts';
import {
  ADMIN_PERMISSIONS, ADMIN_REGISTRY_PERMISSIONS, anonymousPermissions, SCOPE_MAP_ACTIONS, type GrantFacts, type Permission, type ScopeMapAction,
} from './permissions.ts';
import { parseRepositoryPattern } from './repository-pattern.ts';
import { isRoleName, roleById } from './roles.ts';
import { systemScopeMap, type ScopeMap, type ScopeMapRule } from './scope-maps.ts';

/** What computing a principal's rights needs besides the principal. */
export interface GrantContext {
  readonly access: AccessRecords;
  /** `<registryId>`: role assignment scopes are this, or this + `/repositories/<pattern>`. */
  readonly registryId: string;
  readonly guns: GunPolicy;
  /** The registry's anonymousPullEnabled setting, read at each issuance. */
  readonly anonymousPullEnabled: () => Promise<boolean>;
}

const NOTHING: ReadonlySet<Permission> = new Set();

/**
 * The principal's rights, read afresh from the stores (spec 1.4: role, scope-map and status changes
 * apply at the next access token): role assignments for users and service principals, the scope map
 * for a scoped token, ADMIN_PERMISSIONS for the admin account, anonymousPermissions for nobody.
 */
export async function grantFactsFor(principal: Principal | undefined, ctx: GrantContext): Promise<GrantFacts> {
  const gunRepository = (name: string): RepoName | undefined => ctx.guns.parse(name)?.repo;
  if (principal === undefined) {
    const held = anonymousPermissions(await ctx.anonymousPullEnabled());
    return { kind: 'anonymous', heldOn: () => held, registryHeld: NOTHING, gunRepository };
  }
  switch (principal.kind) {
    case 'admin':
      return { kind: 'admin', heldOn: () => ADMIN_PERMISSIONS, registryHeld: ADMIN_REGISTRY_PERMISSIONS, gunRepository };
    case 'scoped-token': {
      const map = await scopeMapOf(principal.name, ctx.access);
      return { kind: 'scoped-token', heldOn: (repo) => (map ? scopeMapPermissions(map, repo) : NOTHING), registryHeld: NOTHING, gunRepository };
    }
    case 'user':
    case 'servicePrincipal': {
      const records = await ctx.access.roleAssignments.byPrincipal(principal.id);
      const assignments = records.flatMap((r) => toRoleAssignment(r, ctx.registryId) ?? []);
      return {
        kind: 'identity', heldOn: (repo) => effectivePermissions(assignments, repo), registryHeld: registryPermissions(assignments), gunRepository,
      };
    }
  }
}

/**
 * A stored assignment as the access model's RoleAssignment; undefined (grants nothing) when its role
 * is unknown or its scope is not this registry. The role is found by its definition GUID (bare or as
 * the last segment of an ARM id), else by name. Registry ids compare case-insensitively, like ARM ids.
 */
export function toRoleAssignment(record: RoleAssignmentRecord, registryId: string): RoleAssignment | undefined {
  const guid = record.roleDefinitionId.split('/').pop() ?? '';
  const role = roleById(guid)?.name ?? (isRoleName(record.roleName) ? record.roleName : undefined);
  const scope = toAssignmentScope(record.scope, registryId);
  return role && scope ? { role, scope } : undefined;
}

function toAssignmentScope(scope: string, registryId: string): AssignmentScope | undefined {
  const base = registryId.toLowerCase();
  const lower = scope.toLowerCase();
  if (lower === base) return { kind: 'registry' };
  const prefix = `${base}/repositories/`;
  if (!lower.startsWith(prefix)) return undefined;
  const parsed = parseRepositoryPattern(scope.slice(prefix.length));
  return parsed.ok ? { kind: 'repository', pattern: parsed.pattern } : undefined;
}

/** A stored scope map as the access model's ScopeMap; invalid rules and unknown actions grant nothing. */
export function toScopeMap(record: ScopeMapRecord): ScopeMap {
  const rules: ScopeMapRule[] = [];
  for (const rule of record.rules) {
    const pattern = parseRepositoryPattern(rule.pattern);
    const actions = rule.actions.filter((a): a is ScopeMapAction => (SCOPE_MAP_ACTIONS as readonly string[]).includes(a));
    if (pattern.ok) rules.push({ pattern: pattern.pattern, actions });
  }
  return { name: record.name, kind: record.type, description: record.description, rules };
}

async function scopeMapOf(tokenName: string, access: AccessRecords): Promise<ScopeMap | undefined> {
  const token = await access.tokens.get(tokenName);
  if (!token) return undefined;
  const system = systemScopeMap(token.scopeMapName);
  if (system) return system;
  const record = await access.scopeMaps.get(token.scopeMapName);
  return record ? toScopeMap(record) : undefined;
}
