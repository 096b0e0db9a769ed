import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

export interface OpsDeps {
  metrics: Metrics;
  /** Resolves when every store answers; throws otherwise. */
  checkStores(): Promise<void>;
}

/** /healthz (the process is up), /readyz (the stores answer), /metrics (Prometheus). */
export async function opsRoutes(app: FastifyInstance, { deps }: { deps: OpsDeps }): Promise<void> {
  app.get('/healthz', async (_req, reply) => reply.send({ status: 'ok' }));
  // The reference notary-server's health endpoint (spec E2), for monitoring written against it.
  app.get('/_notary_server/health', async (_req, reply) => {
    try {
      await deps.checkStores();
      return reply.send({});
    } catch {
      return reply.code(503).send({ storage: 'unavailable' });
    }
  });
  app.get('/readyz', async (req, reply) => {
    try {
      await deps.checkStores();
      return reply.send({ status: 'ready' });
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return reply.send(await deps.metrics.registry.metrics());
  });
}
