import type { RouteHandlers } from '../context.ts';

/** GET /v2/: the API version check every client makes first. */
export const baseRoutes: RouteHandlers = {
  GET: async ({ req, reply, deps }) => {
    await deps.access.require(req, []);
    reply.header('content-type', 'application/json').send('{}');
  },
};
baseRoutes.HEAD = baseRoutes.GET;
