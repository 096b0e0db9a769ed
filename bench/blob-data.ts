import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export const MiB = 1024 * 1024;
const POOL_SIZE = 16 * MiB;
const PREFIX_SIZE = 64;
const PIECE = 1 * MiB;
const RUN_ID = randomBytes(6).toString('hex');

let pool: Buffer | undefined;
/** One 16 MiB random buffer, repeated to make every blob body. */
function randomPool(): Buffer {
  pool ??= randomBytes(POOL_SIZE);
  return pool;
}

/** A synthetic blob: a unique 64-byte prefix, then the random pool repeated up to `size` bytes. */
export interface BlobSpec {
  readonly label: string;
  readonly size: number;
  readonly prefix: Buffer;
}

/** A blob description whose bytes (and so digest) differ from every other label in this run. */
export function blobSpec(label: string, size: number): BlobSpec {
  if (size < PREFIX_SIZE) throw new Error(`blob ${label} smaller than its ${PREFIX_SIZE}-byte prefix`);
  const prefix = Buffer.alloc(PREFIX_SIZE, ' ');
  prefix.write(`wharf-bench ${RUN_ID} ${label}`.slice(0, PREFIX_SIZE - 1));
  prefix[PREFIX_SIZE - 1] = 0x0a;
  return { label, size, prefix };
}

/** The bytes [start, end) of a blob, as views into the shared pool (no copies beyond the prefix). */
export function* blobPieces(spec: BlobSpec, start = 0, end = spec.size): Generator<Buffer> {
  let pos = start;
  if (pos < PREFIX_SIZE) {
    const stop = Math.min(PREFIX_SIZE, end);
    yield spec.prefix.subarray(pos, stop);
    pos = stop;
  }
  const data = randomPool();
  while (pos < end) {
    const offset = (pos - PREFIX_SIZE) % POOL_SIZE;
    const length = Math.min(PIECE, POOL_SIZE - offset, end - pos);
    yield data.subarray(offset, offset + length);
    pos += length;
  }
}

/** A byte stream of [start, end) of the blob, for a request body. */
export function blobStream(spec: BlobSpec, start = 0, end = spec.size): Readable {
  return Readable.from(blobPieces(spec, start, end), { objectMode: false });
}

const digests = new Map<BlobSpec, string>();
/** The blob's sha256 digest, computed once. */
export function blobDigest(spec: BlobSpec): string {
  let digest = digests.get(spec);
  if (!digest) {
    const hash = createHash('sha256');
    for (const piece of blobPieces(spec)) hash.update(piece);
    digest = `sha256:${hash.digest('hex')}`;
    digests.set(spec, digest);
  }
  return digest;
}
