import Type from 'typebox';
import { ArmTime } from '../schemas.ts';

/** `wharf show` (spec 7); Azure-only fields are omitted, not faked. */
export const Registry = Type.Object({
  adminUserEnabled: Type.Boolean(),
  anonymousPullEnabled: Type.Boolean(),
  creationDate: ArmTime,
  id: Type.String({ description: '<registryId>' }),
  location: Type.Literal('local'),
  loginServer: Type.String(),
  name: Type.String(),
  policies: Type.Object({
    trustPolicy: Type.Object({ status: Type.Enum(['disabled', 'enabled', 'enforced']), type: Type.Literal('Notary') }),
  }),
  provisioningState: Type.Literal('Succeeded'),
  resourceGroup: Type.String(),
  roleAssignmentMode: Type.Literal('LegacyRegistryPermissions'),
  sku: Type.Object({ name: Type.Literal('Premium'), tier: Type.Literal('Premium') }),
  tags: Type.Object({}),
  type: Type.Literal('Wharf.ContainerRegistry/registries'),
});

export const TrustStatus = Type.Enum(['disabled', 'enabled', 'enforced']);

const PoliciesUpdate = Type.Object(
  { trustPolicy: Type.Optional(Type.Object({ status: TrustStatus, type: Type.Optional(Type.Literal('Notary')) }, { additionalProperties: false })) },
  { additionalProperties: false },
);

/**
 * `wharf update`; the trust policy as ARM writes it (`properties.policies.trustPolicy`, spec 5.1)
 * or flat like the other fields. Disabling needs the header x-wharf-confirm: delete-trust-data.
 */
export const RegistryUpdate = Type.Object(
  {
    adminUserEnabled: Type.Optional(Type.Boolean()),
    anonymousPullEnabled: Type.Optional(Type.Boolean()),
    policies: Type.Optional(PoliciesUpdate),
    properties: Type.Optional(Type.Object({ policies: Type.Optional(PoliciesUpdate) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const AdminPasswordName = Type.Enum(['password', 'password2']);

/** `wharf credential show|renew` (spec 7). */
export const AdminCredentials = Type.Object({
  passwords: Type.Array(Type.Object({ name: AdminPasswordName, value: Type.String() })),
  username: Type.String(),
});

export const RenewRequest = Type.Object({ name: AdminPasswordName }, { additionalProperties: false });
