import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ociErrorBody, toWharfError } from '../errors/render.ts';
import type { Method, OciDeps, RouteHandlers } from './context.ts';
import { matchRoute, type RouteName } from './router.ts';
import { baseRoutes } from './routes/base.ts';
import { blobRoutes } from './routes/blobs.ts';
import { catalogRoutes, tagRoutes } from './routes/discovery.ts';
import { manifestRoutes } from './routes/manifests.ts';
import { referrerRoutes } from './routes/referrers.ts';
import { uploadRoutes, uploadStartRoutes } from './routes/uploads.ts';
import { WharfError } from '../errors/wharf-error.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The /v2 route matched, for metrics and logs. */
    ociRoute?: RouteName;
  }
}

/** The trust API plugs in here (issue #3); until then its paths answer 404 and are never taken for a repository. */
export type TrustHandler = (req: FastifyRequest, reply: FastifyReply, gunPath: string, rest: string) => Promise<void>;

const ROUTES: Record<Exclude<RouteName, 'trust'>, RouteHandlers> = {
  base: baseRoutes,
  catalog: catalogRoutes,
  tags: tagRoutes,
  manifest: manifestRoutes,
  'upload-start': uploadStartRoutes,
  upload: uploadRoutes,
  blob: blobRoutes,
  referrers: referrerRoutes,
};

/** The OCI Distribution API under /v2, with its raw-stream body handling and error format. */
export async function ociPlugin(app: FastifyInstance, opts: { deps: OciDeps; trust?: TrustHandler }): Promise<void> {
  const { deps, trust } = opts;
  // Bodies are streamed by handlers (blobs) or read with a limit (manifests): no parsing here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  app.setErrorHandler((err, req, reply) => {
    const error = toWharfError(err);
    if (error.status >= 500) req.log.error({ err }, 'request failed');
    if (error.headers) reply.headers(error.headers);
    if (error.challenge) reply.header('www-authenticate', error.challenge);
    reply.code(error.status).header('docker-distribution-api-version', 'registry/2.0');
    if (req.method === 'HEAD') return reply.send();
    // A trailing newline, as both reference servers write (the Notary spec 2.1 notes it).
    return reply.header('content-type', 'application/json').send(`${JSON.stringify(ociErrorBody(error))}\n`);
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('docker-distribution-api-version', 'registry/2.0');
    const url = req.raw.url ?? '';
    const queryAt = url.indexOf('?');
    const path = (queryAt === -1 ? url : url.slice(0, queryAt)).replace(/^\/v2\/?/, '');
    const match = matchRoute(path);
    if (!match) throw new WharfError('NOT_FOUND', 'no such endpoint');
    req.ociRoute = match.route;
    if (match.route === 'trust') {
      if (!trust) throw new WharfError('NOT_FOUND', 'content trust is not served by this registry');
      return trust(req, reply, match.name, match.param);
    }
    const handler = ROUTES[match.route][req.method as Method];
    if (!handler) throw new WharfError('UNSUPPORTED', `${req.method} is not supported here`);
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    await handler({ req, reply, match, query, deps });
  };

  const methods: Method[] = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];
  app.route({ method: methods, url: '/v2', handler: handle, exposeHeadRoute: false });
  app.route({ method: methods, url: '/v2/*', handler: handle, exposeHeadRoute: false });
}
