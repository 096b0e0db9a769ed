/**
 * ARM-shaped resource ids and times of the management API (shared/specs/access-and-policy.md 7):
 * `/subscriptions/<installationId>/resourceGroups/default/providers/Wharf.ContainerRegistry/registries/<name>`.
 */
export const RESOURCE_GROUP = 'default';
export const REGISTRY_TYPE = 'Wharf.ContainerRegistry/registries';
export const ROLE_ASSIGNMENT_TYPE = 'Wharf.Authorization/roleAssignments';

export function registryResourceId(installationId: string, name: string): string {
  return `/subscriptions/${installationId}/resourceGroups/${RESOURCE_GROUP}/providers/Wharf.ContainerRegistry/registries/${name}`;
}

/** `/subscriptions/<installationId>/providers/Wharf.Authorization/roleDefinitions/<guid>` (spec 7). */
export function roleDefinitionResourceId(installationId: string, roleGuid: string): string {
  return `/subscriptions/${installationId}/providers/Wharf.Authorization/roleDefinitions/${roleGuid}`;
}

/** Times as az prints them: microseconds and an explicit offset, `2026-11-28T10:00:00.000000+00:00`. */
export function armTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000+00:00');
}

/** How a scoped-token password without expiry is displayed [ACR]. */
export const NO_EXPIRY = '9999-12-31T23:59:59.999999+00:00';
