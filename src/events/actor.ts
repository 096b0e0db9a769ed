import type { FastifyRequest } from 'fastify';
import { principalOf } from '../auth/access-gate.ts';
import type { Actor } from './recorder.ts';

/** Who the access gate authenticated for this /v2 request (a name or a token's `sub`); anonymous: undefined. */
export function requestActor(req: FastifyRequest): Actor {
  const principal = principalOf(req);
  return principal === undefined ? undefined : { id: principal };
}
