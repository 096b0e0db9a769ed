import type { AssignmentScope } from '../../auth/authorizer.ts';
import { parseRepositoryPattern } from '../../auth/repository-pattern.ts';
import { roleById, ROLE_NAMES, ROLES, type RoleDefinition } from '../../auth/roles.ts';
import { WharfError } from '../../errors/wharf-error.ts';

/** A role by name (case-insensitive), definition GUID, or roleDefinitionId ending in the GUID. */
export function parseRole(value: string): RoleDefinition {
  const byName = ROLE_NAMES.find((n) => n.toLowerCase() === value.toLowerCase());
  const role = byName === undefined ? roleById(value.split('/').pop() ?? '') : ROLES[byName];
  if (!role) throw new WharfError('INVALID_REQUEST', `unknown role "${value}"; roles: ${ROLE_NAMES.join(', ')}`);
  return role;
}

/** A parsed scope and its canonical text (the registry id as this registry spells it). */
export interface ParsedScope {
  readonly scope: AssignmentScope;
  readonly text: string;
}

/**
 * `<registryId>` or `<registryId>/repositories/<pattern>` (spec 3), the registry id compared
 * case-insensitively like ARM ids, the pattern validated as repository patterns are.
 */
export function parseScope(value: string, registryId: string): ParsedScope {
  const base = registryId.toLowerCase();
  const lower = value.toLowerCase().replace(/\/+$/, '');
  if (lower === base) return { scope: { kind: 'registry' }, text: registryId };
  const prefix = `${base}/repositories/`;
  if (!lower.startsWith(prefix)) {
    throw new WharfError('INVALID_REQUEST', `scope must be ${registryId} or ${registryId}/repositories/<repository or prefix/*>`);
  }
  const parsed = parseRepositoryPattern(value.slice(prefix.length));
  if (!parsed.ok) throw new WharfError('INVALID_REQUEST', `invalid scope: ${parsed.message}`);
  return { scope: { kind: 'repository', pattern: parsed.pattern }, text: `${registryId}/repositories/${parsed.pattern}` };
}

/** The scope a stored assignment applies to; the registry when its text is not one of this registry's. */
export function storedScope(value: string, registryId: string): AssignmentScope {
  try {
    return parseScope(value, registryId).scope;
  } catch {
    return { kind: 'registry' };
  }
}
