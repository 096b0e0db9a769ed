import type { Static } from 'typebox';
import type { RoleDefinition } from '../../auth/roles.ts';
import type { RoleAssignmentRecord } from '../../storage/metadata-store.ts';
import type { ApiContext } from '../context.ts';
import { armTime, ROLE_ASSIGNMENT_TYPE, roleDefinitionResourceId } from '../resource-ids.ts';
import type { RoleAssignment } from './schemas.ts';

/** A role assignment as az prints it (spec 7); Wharf has no conditions, descriptions or updates. */
export function presentRoleAssignment(record: RoleAssignmentRecord, role: RoleDefinition | undefined, principalName: string, ctx: ApiContext): Static<typeof RoleAssignment> {
  const at = armTime(record.createdAt);
  const guid = role?.id ?? record.roleDefinitionId.split('/').pop() ?? record.roleDefinitionId;
  return {
    condition: null,
    conditionVersion: null,
    createdBy: record.createdBy ?? null,
    createdOn: at,
    delegatedManagedIdentityResourceId: null,
    description: null,
    id: `${record.scope}/providers/${ROLE_ASSIGNMENT_TYPE}/${record.id}`,
    name: record.id,
    principalId: record.principalId,
    principalName,
    principalType: record.principalType,
    roleDefinitionId: roleDefinitionResourceId(ctx.registry.installationId, guid),
    roleDefinitionName: role?.name ?? record.roleName,
    scope: record.scope,
    type: ROLE_ASSIGNMENT_TYPE,
    updatedBy: record.createdBy ?? null,
    updatedOn: at,
  };
}
