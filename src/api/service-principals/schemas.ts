import Type from 'typebox';
import { ArmTime, Guid } from '../schemas.ts';

export const ServicePrincipal = Type.Object({
  accountEnabled: Type.Boolean(),
  appId: Guid,
  displayName: Type.String(),
  objectId: Guid,
  passwordCredentials: Type.Array(
    Type.Object({
      displayName: Type.String(),
      endDateTime: ArmTime,
      hint: Type.String({ description: 'the first characters of the secret' }),
      keyId: Guid,
      startDateTime: ArmTime,
    }),
  ),
  servicePrincipalNames: Type.Array(Type.String(), { description: '[appId, name]' }),
  servicePrincipalType: Type.Literal('Application'),
});

/** `az ad sp create-for-rbac` and `az ad sp credential reset` output. */
export const ServicePrincipalSecret = Type.Object({
  appId: Guid,
  displayName: Type.Optional(Type.String()),
  password: Type.String({ description: 'the secret, shown once' }),
  tenant: Guid,
});

const Years = Type.Integer({ minimum: 1, maximum: 100, description: 'how long the secret is valid (default 1)' });

export const ServicePrincipalCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'display name and second servicePrincipalName' }),
    role: Type.Optional(Type.String({ description: 'assign this role at each of scopes (default: the registry)' })),
    scopes: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 50 })),
    years: Type.Optional(Years),
  },
  { additionalProperties: false },
);

export const ServicePrincipalUpdate = Type.Object(
  { displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })), accountEnabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

export const CredentialReset = Type.Object({ years: Type.Optional(Years) }, { additionalProperties: false });

export const ServicePrincipalParams = Type.Object({ servicePrincipal: Type.String({ description: 'appId or objectId' }) });
