import Type, { type TSchema } from 'typebox';

/** The ARM error body (api-contract). */
export const ArmError = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'InvalidRequest, Unauthorized, AuthorizationFailed, NotFound, Conflict, ...' }),
      message: Type.String({ description: 'one line a human can act on' }),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { description: 'an error' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'the request is invalid',
  401: 'no or unaccepted credentials',
  403: 'the caller may not do this (or is the admin account or a scoped token)',
  404: 'no such resource',
  409: 'conflicts with the current state',
};

/** Response schemas of the usual failures, for the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const status of [401, 403, ...statuses]) out[status] = { ...ArmError, description: ERROR_DESCRIPTIONS[status] ?? 'an error' };
  return out;
}

export const Guid = Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' });

/** RFC 3339 UTC as az prints it, `2026-11-28T10:00:00.000000+00:00`. */
export const ArmTime = Type.String({ description: 'RFC 3339 UTC with microseconds' });

/** 204 No Content. */
export const NoContent = Type.Null({ description: 'done; no body' });

/** A query flag: `true` or `false` (query strings are text; nothing is coerced). */
export const QueryFlag = Type.Optional(Type.Enum(['true', 'false']));
