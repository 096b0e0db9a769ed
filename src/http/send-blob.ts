import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { BufferPool } from '../lib/buffer-pool.ts';
import type { BlobReader, ByteRange } from '../storage/blob-store.ts';

const CHUNK = 1 << 20;
const pool = new BufferPool(CHUNK, 16);

/**
 * Sends bytes `range` of a blob as the reply body (status and headers already set on `reply`),
 * double-buffered: one buffer is read from storage while the other is written, and a buffer is
 * reused only after the response reports it written (its write callback), so no byte is ever
 * overwritten while the socket may still need it. Closes the reader in every case.
 */
export async function sendBlob(reply: FastifyReply, reader: BlobReader, range: ByteRange): Promise<void> {
  const res = reply.raw;
  const buffers = [pool.take(), pool.take()];
  const writes: (Promise<Error | undefined> | undefined)[] = [undefined, undefined];
  const closed = new Promise<'closed'>((resolve) => res.once('close', () => resolve('closed')));
  let allWritten = false;
  try {
    res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
    for (let position = range.start, k = 0; position <= range.end; k++) {
      const slot = k % 2;
      const previous = writes[slot] && (await Promise.race([writes[slot], closed]));
      if (previous === 'closed') return;
      if (previous) throw previous;
      const buffer = buffers[slot]!;
      const length = Math.min(CHUNK, range.end - position + 1);
      const read = await reader.read(buffer, length, position);
      if (read === 0) throw new Error('blob shorter than its recorded size');
      position += read;
      writes[slot] = write(res, buffer.subarray(0, read));
    }
    const last = await Promise.race([Promise.all(writes), closed]);
    if (last === 'closed') return;
    const failed = last.find((err) => err !== undefined);
    if (failed) throw failed;
    allWritten = true;
    res.end();
  } catch (err) {
    res.destroy(err as Error);
  } finally {
    await reader.close();
    // A write still pending after a disconnect may reference its buffer: leave those to the GC.
    if (allWritten) for (const buffer of buffers) pool.give(buffer);
  }
}

/** Resolves (never rejects, so an abandoned write cannot become an unhandled rejection) once written. */
function write(res: ServerResponse, chunk: Buffer): Promise<Error | undefined> {
  return new Promise((resolve) => res.write(chunk, (err) => resolve(err ?? undefined)));
}
