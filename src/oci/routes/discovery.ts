import type { RouteHandlers } from '../context.ts';
import { repoOf } from '../router.ts';
import { nextLink, pageOf } from './pagination.ts';

/** GET /v2/<name>/tags/list */
export const tagRoutes: RouteHandlers = {
  GET: async ({ req, reply, match, query, deps }) => {
    const repo = repoOf(match);
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull'] }]);
    const page = pageOf(query, deps.pageSize);
    const tags = await deps.manifests.tags(repo, page);
    const link = nextLink(`/v2/${repo}/tags/list`, page, tags);
    if (link) reply.header('link', link);
    reply.header('content-type', 'application/json').send(JSON.stringify({ name: repo, tags }));
  },
};

/** GET /v2/_catalog */
export const catalogRoutes: RouteHandlers = {
  GET: async ({ req, reply, query, deps }) => {
    await deps.access.require(req, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    const page = pageOf(query, deps.pageSize);
    const repositories = await deps.manifests.catalog(page);
    const link = nextLink('/v2/_catalog', page, repositories);
    if (link) reply.header('link', link);
    reply.header('content-type', 'application/json').send(JSON.stringify({ repositories }));
  },
};
