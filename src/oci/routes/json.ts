import type { FastifyReply } from 'fastify';

/**
 * Sends a JSON document with exactly the given Content-Type: Fastify appends "; charset=utf-8" to
 * string bodies, and the distribution-spec compares the referrers media type exactly.
 */
export function sendJson(reply: FastifyReply, value: unknown, contentType = 'application/json'): FastifyReply {
  return reply.header('content-type', contentType).send(Buffer.from(JSON.stringify(value)));
}
