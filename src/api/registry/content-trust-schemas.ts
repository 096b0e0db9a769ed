import Type from 'typebox';
import { TrustStatus } from './schemas.ts';

const Pattern = Type.String({ minLength: 1, maxLength: 256, description: 'a repository (`team/app`) or a prefix pattern (`team/*`, `*`)' });

const Override = Type.Object({ repository: Pattern, status: TrustStatus });

/** `wharf config content-trust show` (spec 7) plus the per-repository overrides, when there are any. */
export const ContentTrustPolicy = Type.Object({
  status: TrustStatus,
  type: Type.Literal('Notary'),
  repository: Type.Optional(Type.String({ description: 'with ?repository=: the repository or pattern asked about; status is what applies to it' })),
  repositories: Type.Optional(Type.Array(Override, { description: 'per-repository overrides; the most specific pattern wins' })),
  trustDataDeleted: Type.Optional(Type.Integer({ description: 'after a change: how many repositories lost their trust data' })),
});

export const ContentTrustQuery = Type.Object({ repository: Type.Optional(Pattern) }, { additionalProperties: false });

export const ContentTrustUpdate = Type.Object(
  {
    status: Type.Enum(['disabled', 'enabled', 'enforced', 'inherit'], { description: '`inherit` (with repository) removes the override' }),
    repository: Type.Optional(Pattern),
  },
  { additionalProperties: false },
);

export const ContentTrustReset = Type.Object({ repository: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false });

export const ContentTrustResetResult = Type.Object({
  repository: Type.String(),
  trustDataDeleted: Type.Boolean({ description: 'false when the repository had no trust data' }),
});
