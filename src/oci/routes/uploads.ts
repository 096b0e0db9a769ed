import { WharfError } from '../../errors/wharf-error.ts';
import { contentLength, hasBody } from '../../http/body.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OciContext, RouteHandlers } from '../context.ts';
import { parseDigest, type Digest } from '../digest.ts';
import { parseRepoName, type RepoName } from '../names.ts';
import { repoOf } from '../router.ts';
import type { ChunkHeaders } from '../upload-service.ts';

/** POST /v2/<name>/blobs/uploads/: start a session, upload monolithically, or mount. */
export const uploadStartRoutes: RouteHandlers = {
  POST: async ({ req, reply, match, query, deps }) => {
    const repo = repoOf(match);
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull', 'push'] }]);
    const mount = query.get('mount');
    if (mount !== null) {
      const digest = parseDigest(mount);
      const fromName = query.get('from');
      const from = fromName === null ? undefined : parseRepoName(fromName);
      // A read-locked source (readEnabled=false) lends no blob: the client uploads it instead (202).
      const mayMountFrom = async (r: RepoName) => (deps.locks ? await deps.locks.isRepositoryReadable(r) : true) && deps.access.mayPull(req, r);
      if (await deps.uploads.mount(repo, digest, from, mayMountFrom)) {
        return created(reply, repo, digest);
      }
    }
    const session = await deps.uploads.start(repo);
    const digestParam = query.get('digest');
    if (digestParam !== null && mount === null) {
      const digest = parseDigest(digestParam);
      const body = hasBody(req.raw) ? req.raw : undefined;
      await completeOrDiscard(() => deps.uploads.complete(repo, session.id, digest, chunkOf(req), body), () => deps.uploads.cancel(repo, session.id));
      return created(reply, repo, digest);
    }
    accepted(reply, repo, session.id, 0);
  },
};

/** GET/PATCH/PUT/DELETE /v2/<name>/blobs/uploads/<id> */
export const uploadRoutes: RouteHandlers = {
  GET: async ({ req, reply, match, deps }) => {
    const repo = await authorizedRepo(req, match, deps);
    const session = await deps.uploads.status(repo, match.param);
    accepted(reply.code(204), repo, session.id, session.offset);
  },
  PATCH: async (ctx) => {
    const { req, reply, match, deps } = ctx;
    const repo = await authorizedRepo(req, match, deps);
    const offset = await deps.uploads.append(repo, match.param, chunkOf(req), req.raw);
    accepted(reply, repo, match.param, offset);
  },
  PUT: async ({ req, reply, match, query, deps }) => {
    const repo = await authorizedRepo(req, match, deps);
    const digestParam = query.get('digest');
    if (digestParam === null) throw new WharfError('DIGEST_INVALID', 'the digest query parameter is required to complete an upload');
    const digest = parseDigest(digestParam);
    const body = hasBody(req.raw) ? req.raw : undefined;
    await deps.uploads.complete(repo, match.param, digest, chunkOf(req), body);
    created(reply, repo, digest);
  },
  DELETE: async ({ req, reply, match, deps }) => {
    const repo = await authorizedRepo(req, match, deps);
    await deps.uploads.cancel(repo, match.param);
    reply.code(204).send();
  },
};

async function authorizedRepo(req: FastifyRequest, match: OciContext['match'], deps: OciContext['deps']): Promise<RepoName> {
  const repo = repoOf(match);
  await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull', 'push'] }]);
  return repo;
}

/** A monolithic upload that fails leaves no session behind. */
async function completeOrDiscard(complete: () => Promise<unknown>, discard: () => Promise<void>): Promise<void> {
  try {
    await complete();
  } catch (err) {
    await discard().catch(() => {});
    throw err;
  }
}

function chunkOf(req: FastifyRequest): ChunkHeaders {
  const chunk: ChunkHeaders = { length: contentLength(req.raw) };
  const header = req.headers['content-range'];
  if (header !== undefined) {
    // Clients send "<start>-<end>"; some prefix "bytes " or "bytes=".
    const match = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(header.trim());
    if (!match) throw new WharfError('RANGE_INVALID', `malformed Content-Range: ${header.slice(0, 100)}`);
    chunk.range = { start: Number(match[1]), end: Number(match[2]) };
  }
  return chunk;
}

function created(reply: FastifyReply, repo: RepoName, digest: Digest): void {
  reply
    .code(201)
    .headers({ location: `/v2/${repo}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': 0 })
    .send();
}

function accepted(reply: FastifyReply, repo: RepoName, id: string, offset: number): void {
  if (reply.statusCode === 200) reply.code(202);
  reply
    .headers({
      location: `/v2/${repo}/blobs/uploads/${id}`,
      range: `0-${Math.max(0, offset - 1)}`,
      'docker-upload-uuid': id,
      'content-length': 0,
    })
    .send();
}
