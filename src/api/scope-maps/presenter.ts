import type { Static } from 'typebox';
import type { ScopeMapRecord } from '../../storage/metadata-store.ts';
import type { ApiContext } from '../context.ts';
import { armTime, RESOURCE_GROUP } from '../resource-ids.ts';
import { actionsOf } from './actions.ts';
import type { ScopeMap } from './schemas.ts';

export function scopeMapId(ctx: ApiContext, name: string): string {
  return `${ctx.registry.id}/scopeMaps/${name}`;
}

export function presentScopeMap(map: ScopeMapRecord, ctx: ApiContext): Static<typeof ScopeMap> {
  return {
    actions: actionsOf(map.rules),
    creationDate: armTime(map.createdAt),
    description: map.description,
    id: scopeMapId(ctx, map.name),
    name: map.name,
    provisioningState: 'Succeeded',
    resourceGroup: RESOURCE_GROUP,
    type: map.type,
  };
}
