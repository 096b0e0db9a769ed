import Type from 'typebox';
import { SCOPE_MAP_ACTIONS } from '../../auth/permissions.ts';
import { ArmTime, Guid } from '../schemas.ts';

export const TokenPasswordName = Type.Enum(['password1', 'password2']);

const PasswordEntry = Type.Object({
  creationTime: ArmTime,
  expiry: Type.String({ description: 'RFC 3339 UTC; 9999-12-31T23:59:59.999999+00:00 when it never expires' }),
  name: TokenPasswordName,
  value: Type.Optional(Type.String({ description: 'only when just generated, shown once' })),
});

/** `wharf token create|show|list` (spec 7). */
export const Token = Type.Object({
  creationDate: ArmTime,
  credentials: Type.Object({ certificates: Type.Array(Type.Never()), passwords: Type.Array(PasswordEntry), username: Type.String() }),
  id: Type.String({ description: '<registryId>/tokens/<name>' }),
  name: Type.String(),
  objectId: Guid,
  provisioningState: Type.Literal('Succeeded'),
  resourceGroup: Type.String(),
  scopeMapId: Type.String({ description: '<registryId>/scopeMaps/<name>' }),
  status: Type.Enum(['enabled', 'disabled']),
  type: Type.Literal('Wharf.ContainerRegistry/registries/tokens'),
});

const Expiry = Type.String({ description: 'RFC 3339 date-time in the future, e.g. 2027-01-31T00:00:00Z; default: never' });

export const TokenCreate = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_-]{5,50}$', description: '5-50 letters, digits, - and _' }),
    scopeMap: Type.Optional(Type.String({ description: 'an existing scope map (give this or repositories)' })),
    repositories: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.Enum([...SCOPE_MAP_ACTIONS]), { minItems: 1 }), {
        description: 'repository (or prefix/*) → actions; creates the scope map <name>-scope-map',
      }),
    ),
    status: Type.Optional(Type.Enum(['enabled', 'disabled'])),
    noPasswords: Type.Optional(Type.Boolean({ description: 'create without passwords (generate them later)' })),
    expiry: Type.Optional(Expiry),
  },
  { additionalProperties: false },
);

export const TokenUpdate = Type.Object(
  { scopeMap: Type.Optional(Type.String()), status: Type.Optional(Type.Enum(['enabled', 'disabled'])) },
  { additionalProperties: false },
);

export const CredentialGenerate = Type.Object(
  {
    passwords: Type.Optional(Type.Array(TokenPasswordName, { minItems: 1, maxItems: 2, uniqueItems: true, description: 'default: both' })),
    expiry: Type.Optional(Expiry),
  },
  { additionalProperties: false },
);

/** `wharf token credential generate` (spec 7). */
export const GeneratedCredentials = Type.Object({ passwords: Type.Array(PasswordEntry), username: Type.String() });

export const TokenParams = Type.Object({ token: Type.String() });
export const TokenPasswordParams = Type.Object({ token: Type.String(), password: TokenPasswordName });
