import type { Static } from 'typebox';
import type { RegistrySettingsRecord } from '../../storage/metadata-store.ts';
import { parseTrustPolicy } from '../../trust/policy.ts';
import type { ApiContext } from '../context.ts';
import { armTime, REGISTRY_TYPE, RESOURCE_GROUP } from '../resource-ids.ts';
import type { AdminCredentials, Registry } from './schemas.ts';

/** The registry as `wharf show` prints it (spec 7). */
export function presentRegistry(settings: RegistrySettingsRecord, adminUserEnabled: boolean, ctx: ApiContext): Static<typeof Registry> {
  const trustPolicy = { status: parseTrustPolicy(settings.trustPolicy).status, type: 'Notary' as const };
  return {
    adminUserEnabled,
    anonymousPullEnabled: settings.anonymousPullEnabled,
    creationDate: armTime(settings.createdAt),
    id: ctx.registry.id,
    location: 'local',
    loginServer: ctx.loginServer,
    name: settings.name,
    policies: { trustPolicy },
    provisioningState: 'Succeeded',
    resourceGroup: RESOURCE_GROUP,
    roleAssignmentMode: 'LegacyRegistryPermissions',
    sku: { name: 'Premium', tier: 'Premium' },
    tags: {},
    type: REGISTRY_TYPE,
  };
}

export function presentAdminCredentials(username: string, password: string, password2: string): Static<typeof AdminCredentials> {
  return { passwords: [{ name: 'password', value: password }, { name: 'password2', value: password2 }], username };
}
