import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { WharfError } from '../errors/wharf-error.ts';

/** A validated `algorithm:hex` content digest; only parseDigest() and digestOf() make one. */
export type Digest = string & { readonly __brand: 'Digest' };
export type DigestAlgorithm = 'sha256' | 'sha512';

const ENCODED_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
// OCI image-spec descriptor grammar: algorithm-component ([+._-] algorithm-component)* ":" encoded
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Parses a digest, or undefined when it is not well formed or uses an algorithm we do not hash. */
export function tryParseDigest(value: string): Digest | undefined {
  if (!DIGEST_GRAMMAR.test(value)) return undefined;
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  const length = ENCODED_LENGTH[algorithm as DigestAlgorithm];
  if (length === undefined || encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) return undefined;
  return value as Digest;
}

/** Parses a digest; throws DIGEST_INVALID naming the offending value. */
export function parseDigest(value: string): Digest {
  const digest = tryParseDigest(value);
  if (!digest) throw new WharfError('DIGEST_INVALID', `invalid or unsupported digest: ${value.slice(0, 200)}`);
  return digest;
}

export function algorithmOf(digest: Digest): DigestAlgorithm {
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

export function hexOf(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

export function digestOf(bytes: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestingStream extends Transform {
  private readonly hash: Hash;
  bytes = 0;

  constructor(readonly algorithm: DigestAlgorithm, hash?: Hash, startBytes = 0) {
    super();
    this.hash = hash ?? createHash(algorithm);
    this.bytes = startBytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** The hash state so far, for continuing it later (a copy: this stream may go on). */
  snapshot(): Hash {
    return this.hash.copy();
  }
}

export function finishHash(algorithm: DigestAlgorithm, hash: Hash): Digest {
  return `${algorithm}:${hash.digest('hex')}` as Digest;
}
