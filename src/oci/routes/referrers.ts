import type { RouteHandlers } from '../context.ts';
import { parseDigest, tryParseDigest } from '../digest.ts';
import { MEDIA_TYPES } from '../media-types.ts';
import { repoOf } from '../router.ts';
import { sendJson } from './json.ts';
import { nextLink, pageOf } from './pagination.ts';

// RFC 6838 type/subtype with restricted-name characters (parameters are not part of artifactType).
const MEDIA_TYPE_GRAMMAR = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** GET /v2/<name>/referrers/<digest>: an image index of the manifests whose subject is <digest>. */
export const referrerRoutes: RouteHandlers = {
  GET: async ({ req, reply, match, query, deps }) => {
    const repo = repoOf(match);
    const subject = parseDigest(match.param);
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull'] }]);
    await (await deps.signed?.enforced(repo))?.requireServable(subject);
    const artifactType = query.get('artifactType') ?? undefined;
    // A value outside the media-type grammar can name no artifact: an empty (filtered) answer.
    const matchesNothing = artifactType !== undefined && !MEDIA_TYPE_GRAMMAR.test(artifactType);
    const page = pageOf(query, deps.pageSize, (last) => tryParseDigest(last) !== undefined);
    const all = matchesNothing ? [] : await deps.manifests.referrers(repo, subject, artifactType);
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
    sendJson(reply, { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }, MEDIA_TYPES.ociIndex);
  },
};
