import Type from 'typebox';
import { ArmTime, Guid, QueryFlag } from '../schemas.ts';

const PrincipalType = Type.Enum(['User', 'ServicePrincipal']);

/** `wharf role assignment list|create` (spec 7). */
export const RoleAssignment = Type.Object({
  condition: Type.Null(),
  conditionVersion: Type.Null(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdOn: ArmTime,
  delegatedManagedIdentityResourceId: Type.Null(),
  description: Type.Null(),
  id: Type.String({ description: '<scope>/providers/Wharf.Authorization/roleAssignments/<name>' }),
  name: Guid,
  principalId: Guid,
  principalName: Type.String(),
  principalType: PrincipalType,
  roleDefinitionId: Type.String(),
  roleDefinitionName: Type.String(),
  scope: Type.String(),
  type: Type.Literal('Wharf.Authorization/roleAssignments'),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
  updatedOn: ArmTime,
});

export const RoleAssignmentQuery = Type.Object(
  {
    scope: Type.Optional(Type.String({ description: '<registryId> (default) or <registryId>/repositories/<pattern>' })),
    assignee: Type.Optional(Type.String({ description: 'objectId, appId, servicePrincipalName or userPrincipalName' })),
    role: Type.Optional(Type.String({ description: 'role name or definition GUID' })),
    includeInherited: QueryFlag,
    all: QueryFlag,
  },
  { additionalProperties: false },
);

export const RoleAssignmentCreate = Type.Object(
  {
    role: Type.String({ description: 'Owner, Contributor, Reader, AcrPush, AcrPull, AcrDelete, AcrImageSigner, or a role definition GUID' }),
    scope: Type.String({ description: '<registryId> or <registryId>/repositories/<repository or prefix/*>' }),
    assignee: Type.Optional(Type.String({ minLength: 1 })),
    assigneeObjectId: Type.Optional(Guid),
    assigneePrincipalType: Type.Optional(PrincipalType),
  },
  { additionalProperties: false },
);

export const RoleAssignmentParams = Type.Object({ name: Guid });
