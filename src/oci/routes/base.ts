import type { RouteHandlers } from '../context.ts';
import { sendJson } from './json.ts';

/** GET /v2/: the API version check every client makes first. */
export const baseRoutes: RouteHandlers = {
  GET: async ({ req, reply, deps }) => {
    await deps.access.require(req, []);
    sendJson(reply, {});
  },
};
baseRoutes.HEAD = baseRoutes.GET;
