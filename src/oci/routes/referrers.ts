import type { RouteHandlers } from '../context.ts';
import { parseDigest } from '../digest.ts';
import { MEDIA_TYPES } from '../media-types.ts';
import { repoOf } from '../router.ts';
import { nextLink, pageOf } from './pagination.ts';

/** GET /v2/<name>/referrers/<digest>: an image index of the manifests whose subject is <digest>. */
export const referrerRoutes: RouteHandlers = {
  GET: async ({ req, reply, match, query, deps }) => {
    const repo = repoOf(match);
    const subject = parseDigest(match.param);
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull'] }]);
    const artifactType = query.get('artifactType') ?? undefined;
    const page = pageOf(query, deps.pageSize);
    const all = await deps.manifests.referrers(repo, subject, artifactType);
    const after = page.last === undefined ? all : all.filter((r) => r.digest > page.last!);
    const records = after.slice(0, page.limit);
    const link = nextLink(`/v2/${repo}/referrers/${subject}`, page, records.map((r) => r.digest));
    if (link) reply.header('link', link);
    if (artifactType !== undefined) reply.header('oci-filters-applied', 'artifactType');
    const manifests = records.map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType !== undefined && { artifactType: r.artifactType }),
      ...(r.annotations !== undefined && { annotations: JSON.parse(r.annotations) as Record<string, string> }),
    }));
    reply
      .header('content-type', MEDIA_TYPES.ociIndex)
      .send(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));
  },
};
