import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ReadListLocks } from './acr/read-list-locks.ts';
import { acrRoutes, type AcrRouteDeps } from './acr/routes.ts';
import { managementApi, managementApiDisabled, type ManagementApiDeps } from './api/plugin.ts';
import type { AccessGate } from './auth/access-gate.ts';
import { tokenRoutes, type TokenRouteDeps } from './auth/token-routes.ts';
import type { Config } from './config/schema.ts';
import type { Metrics } from './http/metrics.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { requestIdOf } from './http/request-context.ts';
import type { BlobService } from './oci/blob-service.ts';
import type { ManifestService } from './oci/manifest-service.ts';
import { ociPlugin, type TrustHandler } from './oci/plugin.ts';
import type { SignedServing } from './oci/signed-serving.ts';
import type { UploadService } from './oci/upload-service.ts';
import type { BlobStore } from './storage/blob-store.ts';
import type { MetadataStore } from './storage/metadata-store.ts';
import type { Digest } from './oci/digest.ts';
import type { EventRecorder } from './events/recorder.ts';

export interface AppDeps {
  logger: Logger;
  metadata: MetadataStore;
  blobStore: BlobStore;
  blobs: BlobService;
  uploads: UploadService;
  manifests: ManifestService;
  /** The content trust policy's `enforced` serving rules (spec 5.3). */
  signedServing?: SignedServing;
  /** ACR's readEnabled and listEnabled on /v2 reads and tag lists; absent: not enforced. */
  readListLocks?: ReadListLocks;
  access: AccessGate;
  metrics: Metrics;
  https?: { cert: string; key: string };
  /** The trust API under /v2/<gun>/_trust/. */
  trust?: TrustHandler;
  /** The Docker token endpoint /oauth2/token, when auth.enabled. */
  tokenEndpoint?: TokenRouteDeps;
  /** The management API under /api, when auth.enabled (without it /api answers 404 saying why). */
  managementApi?: ManagementApiDeps;
  /** ACR's metadata API under /acr/v1 (repository details, attributes, untag, repository delete). */
  acr?: Omit<AcrRouteDeps, 'access' | 'pageSize'>;
  /** The audit log and webhooks (docs/audit.md). */
  events?: EventRecorder;
}

const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;

/**
 * A request Node's HTTP parser cannot read (bad framing, a body cut short) never reaches a route:
 * answer it in the distribution error format rather than Fastify's generic one, then close.
 */
function rejectMalformedRequest(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // llhttp reports a body cut short by the end of the connection as an invalid EOF state.
  const truncated = err.code === 'HPE_INVALID_EOF_STATE';
  const error = truncated
    ? { code: 'SIZE_INVALID', message: 'request body ended before Content-Length bytes arrived' }
    : { code: 'UNSUPPORTED', message: 'malformed HTTP request' };
  const body = JSON.stringify({ errors: [error] });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Builds the whole HTTP surface; main.ts and tests call the same function. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per request is written in onResponse instead, with the fields we choose.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    requestIdHeader: false,
    // Repository names and digests make long paths; the /v2 router validates them itself.
    routerOptions: { maxParamLength: 8192 },
    clientErrorHandler: rejectMalformedRequest,
    ...(deps.https && { https: { ...deps.https, allowHTTP1: true } }),
  }) as unknown as FastifyInstance;

  app.addHook('onResponse', async (req, reply) => {
    const route = req.ociRoute ?? req.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.requests.inc({ route, method: req.method, status: reply.statusCode });
    deps.metrics.latency.observe({ route, method: req.method }, seconds);
    req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  await app.register(opsRoutes, {
    deps: {
      metrics: deps.metrics,
      checkStores: async () => {
        await deps.metadata.ping();
        await deps.blobStore.stat(EMPTY_DIGEST);
      },
    },
  });
  if (deps.tokenEndpoint) await app.register(tokenRoutes, { deps: deps.tokenEndpoint });
  if (deps.managementApi) await app.register(managementApi, { prefix: '/api', deps: deps.managementApi });
  else await app.register(managementApiDisabled, { prefix: '/api' });
  await app.register(ociPlugin, {
    deps: {
      blobs: deps.blobs,
      uploads: deps.uploads,
      manifests: deps.manifests,
      access: deps.access,
      metrics: deps.metrics,
      pageSize: config.limits.pageSize,
      signed: deps.signedServing,
      events: deps.events,
      locks: deps.readListLocks,
    },
    trust: deps.trust,
  });
  if (deps.acr) {
    await app.register(acrRoutes, { deps: { ...deps.acr, access: deps.access, pageSize: config.limits.pageSize, ...(deps.events && { events: deps.events }) } });
  }
  return app;
}
