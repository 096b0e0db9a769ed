import type { IncomingMessage } from 'node:http';
import { WharfError } from '../errors/wharf-error.ts';
import type { ErrorCode } from '../errors/catalog.ts';

/** Whether the request carries a body (a non-zero Content-Length or chunked transfer). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** The declared Content-Length, or undefined when absent; SIZE_INVALID when malformed. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new WharfError('SIZE_INVALID', 'malformed Content-Length');
  return Number(raw);
}

/** Reads a small body whole, refusing (with `tooLarge`) anything over `limit` bytes. */
export async function readSmallBody(req: IncomingMessage, limit: number, tooLarge: ErrorCode): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) {
    req.resume();
    throw new WharfError(tooLarge, `body is ${declared} bytes; the limit is ${limit}`);
  }
  return collectUpTo(req, limit, () => {
    req.resume();
    return new WharfError(tooLarge, `body exceeds the limit of ${limit} bytes`);
  });
}

/**
 * Collects a stream's bytes while they stay within `limit`; past it, throws what `exceeded()`
 * returns (which also abandons the stream: drain a request, destroy a response).
 */
export async function collectUpTo(stream: AsyncIterable<Buffer>, limit: number, exceeded: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > limit) throw exceeded();
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
