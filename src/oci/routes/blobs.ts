import { WharfError } from '../../errors/wharf-error.ts';
import { sendBlob } from '../../http/send-blob.ts';
import type { ByteRange } from '../../storage/blob-store.ts';
import type { OciHandler, RouteHandlers } from '../context.ts';
import { parseDigest } from '../digest.ts';
import { repoOf } from '../router.ts';
import { blobDeleted } from '../../events/oci-events.ts';

const fetchBlob: OciHandler = async ({ req, reply, match, deps }) => {
  const repo = repoOf(match);
  const digest = parseDigest(match.param);
  await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['pull'] }]);
  if (deps.locks) {
    // A read-locked repository (readEnabled=false) serves no blob.
    const loading = deps.locks.loaded();
    if (loading) await loading;
    deps.locks.requireReadable(repo);
  }
  const { size } = await deps.blobs.stat(repo, digest);
  const range = parseRange(req.headers.range, size);
  reply.headers({
    'content-type': 'application/octet-stream',
    'docker-content-digest': digest,
    etag: `"${digest}"`,
    'accept-ranges': 'bytes',
    'cache-control': 'max-age=31536000',
  });
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
  const length = range ? range.end - range.start + 1 : size;
  reply.header('content-length', length);
  if (req.method === 'HEAD') return reply.send();
  if (length === 0) return reply.send('');
  const reader = await deps.blobs.open(digest);
  deps.metrics.bytesOut.inc(length);
  await sendBlob(reply, reader, range ?? { start: 0, end: size - 1 });
};

/** GET/HEAD/DELETE /v2/<name>/blobs/<digest> */
export const blobRoutes: RouteHandlers = {
  GET: fetchBlob,
  HEAD: fetchBlob,
  DELETE: async ({ req, reply, match, deps }) => {
    const repo = repoOf(match);
    const digest = parseDigest(match.param);
    await deps.access.require(req, [{ type: 'repository', name: repo, actions: ['delete'] }]);
    await deps.blobs.delete(repo, digest);
    reply.code(202).header('content-length', 0).send();
    deps.events?.record(blobDeleted(req, repo, digest));
  },
};

/**
 * A single `bytes=` range (RFC 9110 14.1.2); undefined means the whole blob. Several ranges are
 * served as the whole blob, which the RFC allows; an unsatisfiable range is RANGE_INVALID (416).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) {
    if (/^bytes=[\d\s,-]+$/.test(header.trim()) && header.includes(',')) return undefined;
    throw unsatisfiable(size);
  }
  const [, first, last] = match;
  let start: number;
  let end: number;
  if (first === '') {
    if (last === '') throw unsatisfiable(size);
    start = Math.max(0, size - Number(last));
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  }
  if (start > end || start >= size) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): WharfError {
  return new WharfError('RANGE_INVALID', 'requested range not satisfiable', { headers: { 'Content-Range': `bytes */${size}` } });
}
