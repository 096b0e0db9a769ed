import { WharfError } from '../../errors/wharf-error.ts';
import { readSmallBody } from '../../http/body.ts';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES } from '../media-types.ts';
import type { OciContext, OciDeps, OciHandler, RouteHandlers } from '../context.ts';
import type { Digest } from '../digest.ts';
import { parseReference, type Reference, type RepoName } from '../names.ts';
import { repoOf } from '../router.ts';
import { manifestDeleted, manifestPushed, refusedPull } from '../../events/oci-events.ts';

const fetchManifest: OciHandler = async (ctx) => {
  const { req, reply, match, deps } = ctx;
  const repo = repoOf(match);
  const ref = parseReference(match.param);
  await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull'] }]);
  const loading = deps.locks?.loaded();
  if (loading) await loading;
  requireReadable(ctx, repo, ref);
  const served = await servedReference(deps, repo, ref).catch((err: unknown) => { throw refusedPull(deps.events, req, repo, ref, err); });
  const manifest = await deps.manifests.get(repo, served);
  // Read by tag, the manifest's own read lock applies too.
  if (ref.kind === 'tag') requireReadable(ctx, repo, ref, manifest.digest);
  if (!accepts(req.headers.accept, manifest.mediaType)) {
    // As the reference does: a client that cannot read this kind of manifest gets a clear refusal
    // rather than bytes it would misparse.
    throw new WharfError('MANIFEST_UNKNOWN', `manifest is ${manifest.mediaType}, which the Accept header does not include`, {
      detail: { mediaType: manifest.mediaType },
    });
  }
  reply.headers({
    'content-type': manifest.mediaType,
    'docker-content-digest': manifest.digest,
    etag: `"${manifest.digest}"`,
    'content-length': manifest.bytes.length,
  });
  if (req.method === 'HEAD') return reply.send();
  deps.metrics.bytesOut.inc(manifest.bytes.length);
  return reply.send(manifest.bytes);
};

/**
 * ACR's readEnabled=false on the repository, the tag or the manifest (`resolved`: the digest a tag
 * led to) refuses the read with 403 DENIED, recorded as pull.refused; synchronous, after `loaded()`.
 */
function requireReadable({ req, deps }: OciContext, repo: RepoName, ref: Reference, resolved?: Digest): void {
  const locks = deps.locks;
  if (!locks) return;
  try {
    if (resolved !== undefined) locks.requireReadable(repo, undefined, resolved);
    else if (ref.kind === 'tag') locks.requireReadable(repo, ref.tag);
    else locks.requireReadable(repo, undefined, ref.digest);
  } catch (err) {
    throw refusedPull(deps.events, req, repo, ref, err);
  }
}

/**
 * Under an `enforced` content trust policy (spec 5.3) a tag means the digest its trust data signs,
 * and a digest is served only when reachable from a signed target; otherwise the reference as asked.
 */
async function servedReference(deps: OciDeps, repo: RepoName, ref: Reference): Promise<Reference> {
  const enforced = await deps.signed?.enforced(repo);
  if (!enforced) return ref;
  if (ref.kind === 'tag') return { kind: 'digest', digest: enforced.signedDigest(ref.tag) };
  await enforced.requireServable(ref.digest);
  return ref;
}

/**
 * Whether an Accept header admits the media type. No header, wildcards, or an Accept that names no
 * manifest type at all (e.g. application/json from a generic client) admit everything.
 */
export function accepts(header: string | undefined, mediaType: string): boolean {
  if (header === undefined || header === '') return true;
  const types = header.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  if (types.includes(mediaType) || types.includes('*/*') || types.includes('application/*')) return true;
  return !types.some((t) => MANIFEST_TYPES.has(t));
}

const MANIFEST_TYPES: ReadonlySet<string> = new Set([...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES]);

/** GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference> */
export const manifestRoutes: RouteHandlers = {
  GET: fetchManifest,
  HEAD: fetchManifest,
  PUT: async ({ req, reply, match, deps }) => {
    const repo = repoOf(match);
    const ref = parseReference(match.param);
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull', 'push'] }]);
    const bytes = await readSmallBody(req.raw, deps.manifests.maxBytes, 'MANIFEST_TOO_LARGE');
    deps.metrics.bytesIn.inc(bytes.length);
    const put = await deps.manifests.put(repo, ref, req.headers['content-type'], bytes);
    const { digest, subject } = put;
    if (subject) reply.header('oci-subject', subject);
    reply
      .code(201)
      .headers({ location: `/v2/${repo}/manifests/${digest}`, 'docker-content-digest': digest, 'content-length': 0 })
      .send();
    deps.events?.record(manifestPushed(req, repo, ref, put, req.headers['content-type'], bytes.length));
  },
  DELETE: async ({ req, reply, match, deps }) => {
    const repo = repoOf(match);
    const ref = parseReference(match.param);
    // By digest, a referrer may also be deleted by those who may only delete referrers (spec 4).
    const isReferrer = ref.kind === 'digest' ? () => deps.manifests.hasSubject(repo, ref.digest) : undefined;
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['delete'], ...(isReferrer && { isReferrer }) }]);
    await deps.manifests.delete(repo, ref);
    reply.code(202).header('content-length', 0).send();
    deps.events?.record(manifestDeleted(req, repo, ref));
  },
};
