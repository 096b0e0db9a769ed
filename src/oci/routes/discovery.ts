import type { RouteHandlers } from '../context.ts';
import type { Digest } from '../digest.ts';
import { isRepoName, isTag } from '../names.ts';
import { repoOf } from '../router.ts';
import { sendJson } from './json.ts';
import { nextLink, pageOf } from './pagination.ts';

/** GET /v2/<name>/tags/list */
export const tagRoutes: RouteHandlers = {
  GET: async ({ req, reply, match, query, deps }) => {
    const repo = repoOf(match);
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull'] }]);
    const page = pageOf(query, deps.pageSize, isTag);
    // Under an enforced content trust policy: only signed tags (spec 5.3).
    const enforced = await deps.signed?.enforced(repo);
    // Tags that listEnabled hides are left out: by the database, or for signed tags from the locks' snapshot.
    const locks = deps.locks;
    if (enforced && locks) await locks.loaded();
    const isListed = locks && ((tag: string, digest: Digest) => locks.isTagListed(repo, tag, digest));
    const tags = enforced ? await enforced.tags(page, isListed) : await deps.manifests.tags(repo, page);
    const link = nextLink(`/v2/${repo}/tags/list`, page, tags);
    if (link) reply.header('link', link);
    sendJson(reply, { name: repo, tags });
  },
};

/** GET /v2/_catalog */
export const catalogRoutes: RouteHandlers = {
  GET: async ({ req, reply, query, deps }) => {
    await deps.access.require(req, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    const page = pageOf(query, deps.pageSize, isRepoName);
    const repositories = await deps.manifests.catalog(page);
    const link = nextLink('/v2/_catalog', page, repositories);
    if (link) reply.header('link', link);
    sendJson(reply, { repositories });
  },
};
