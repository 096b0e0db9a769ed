import Type from 'typebox';
import { ArmTime } from '../schemas.ts';

const Action = Type.String({ description: 'repositories/<repository or prefix/*>/<content/read|content/write|content/delete|metadata/read|metadata/write|content/sign>' });

/** `wharf scope-map show` (api-contract: `type` is SystemDefined or UserDefined). */
export const ScopeMap = Type.Object({
  actions: Type.Array(Action),
  creationDate: ArmTime,
  description: Type.String(),
  id: Type.String({ description: '<registryId>/scopeMaps/<name>' }),
  name: Type.String(),
  provisioningState: Type.Literal('Succeeded'),
  resourceGroup: Type.String(),
  type: Type.Enum(['SystemDefined', 'UserDefined']),
});

export const ScopeMapCreate = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9-][A-Za-z0-9_-]{4,59}$', description: '5-60 letters, digits, - and _, not starting with _' }),
    actions: Type.Array(Action, { minItems: 1, maxItems: 500 }),
    description: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const ScopeMapUpdate = Type.Object(
  {
    addActions: Type.Optional(Type.Array(Action, { maxItems: 500 })),
    removeActions: Type.Optional(Type.Array(Action, { maxItems: 500 })),
    description: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const ScopeMapParams = Type.Object({ scopeMap: Type.String() });
