import { WharfError } from '../errors/wharf-error.ts';
import type { Digest } from '../oci/digest.ts';
import type { ManifestService, PutResult } from '../oci/manifest-service.ts';
import { parseManifest } from '../oci/manifest.ts';
import { INDEX_TYPES } from '../oci/media-types.ts';
import type { RepoName } from '../oci/names.ts';
import type { UploadService } from '../oci/upload-service.ts';
import type { MetadataStore } from '../storage/metadata-store.ts';
import { ImportFailure } from './import-failure.ts';
import type { FetchedManifest, SourceRegistry } from './source-registry.ts';

/** Counts an operation shows while it runs; the copier only ever increases them. */
export interface ImportProgress {
  manifests: number;
  blobsCopied: number;
  /** Blobs already in the target repository, or linked from another repository the caller may pull. */
  blobsSkipped: number;
  bytesCopied: number;
}

/** The target repository and the push path every imported byte goes through. */
export interface CopyTarget {
  readonly repo: RepoName;
  readonly metadata: MetadataStore;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;
  /** Whether the importing caller may pull `repo`: blobs are linked from there instead of downloaded. */
  mayPull(repo: RepoName): Promise<boolean>;
}

export interface CopyOptions {
  readonly maxManifests: number;
  readonly includeReferrers: boolean;
  readonly progress: ImportProgress;
  readonly signal: AbortSignal;
  /** Told of every manifest stored, right after its put (for the audit log). */
  readonly stored?: (manifest: FetchedManifest, put: PutResult) => void;
}

const BLOB_CONCURRENCY = 3;

/**
 * Copies one manifest with everything it references (an index's children, each image's config and
 * layers, and with includeReferrers every referrer, recursively) from a source repository into a
 * target repository, untagged. Children go before parents, blobs before their manifest, so every
 * manifest passes the same checks as a push (ManifestService.put). Blobs stream from the source
 * into an upload session and are committed only if they hash to their digest.
 */
export class ImageCopier {
  /** Manifests stored by this copier, in order; the referrers walk appends to it as it goes. */
  readonly #copied: Digest[] = [];
  readonly #seen = new Set<Digest>();

  constructor(
    private readonly source: SourceRegistry,
    private readonly target: CopyTarget,
    private readonly opts: CopyOptions,
  ) {}

  /** Copies the root (already fetched) and what it references; then its referrers when asked. */
  async copy(root: FetchedManifest): Promise<void> {
    await this.#copyManifest(root);
    if (!this.opts.includeReferrers) return;
    // Referrers of every copied manifest (children included), and referrers of referrers.
    for (let i = 0; i < this.#copied.length; i++) {
      for (const referrer of await this.source.referrers(this.#copied[i]!)) {
        if (!this.#seen.has(referrer.digest)) await this.#copyManifest(await this.#fetch(referrer.digest));
      }
    }
  }

  async #fetch(digest: Digest): Promise<FetchedManifest> {
    const manifest = await this.source.manifest({ digest });
    if (manifest === undefined) throw new ImportFailure(`manifest ${digest} is not in ${this.source.host}/${this.source.repository}`, 'SourceNotFound');
    return manifest;
  }

  async #copyManifest(manifest: FetchedManifest): Promise<void> {
    if (this.#seen.has(manifest.digest)) return;
    this.#seen.add(manifest.digest);
    if (this.#seen.size > this.opts.maxManifests) {
      throw new ImportFailure(`the image has more than ${this.opts.maxManifests} manifests (the limit per import, config import.maxManifests)`, 'TooManyManifests');
    }
    const parsed = asImportFailure(() => parseManifest(manifest.bytes, manifest.mediaType));
    if (INDEX_TYPES.has(parsed.mediaType)) {
      for (const child of parsed.manifestRefs) {
        if (!this.#seen.has(child)) await this.#copyManifest(await this.#fetch(child));
      }
    } else {
      const sizes = blobSizes(manifest.bytes);
      await forEachLimited(parsed.blobRefs, BLOB_CONCURRENCY, (digest) => this.#copyBlob(digest, sizes.get(digest)));
    }
    const put = await asImportFailureAsync(() => this.target.manifests.put(this.target.repo, { kind: 'digest', digest: manifest.digest }, manifest.mediaType, manifest.bytes));
    this.opts.stored?.(manifest, put);
    this.#copied.push(manifest.digest);
    this.opts.progress.manifests++;
  }

  async #copyBlob(digest: Digest, size: number | undefined): Promise<void> {
    const { repo, metadata, uploads } = this.target;
    if ((await metadata.blobs.linked(repo, digest)) || (await uploads.mount(repo, digest, undefined, (r) => this.target.mayPull(r)))) {
      this.opts.progress.blobsSkipped++;
      return;
    }
    this.opts.signal.throwIfAborted();
    const { body, length } = await this.source.blob(digest);
    if (size !== undefined && length !== undefined && length !== size) {
      body.destroy();
      throw new ImportFailure(`blob ${digest}: the source sends ${length} bytes, the manifest says ${size}`, 'DigestMismatch');
    }
    const session = await uploads.start(repo);
    try {
      await uploads.append(repo, session.id, { length: size ?? length }, body);
      await uploads.complete(repo, session.id, digest, {});
    } catch (err) {
      body.destroy();
      await uploads.cancel(repo, session.id).catch(() => undefined);
      if (err instanceof WharfError && (err.code === 'DIGEST_INVALID' || err.code === 'SIZE_INVALID')) {
        throw new ImportFailure(`blob ${digest} from ${this.source.host} does not match its descriptor: ${err.message}`, 'DigestMismatch');
      }
      throw err;
    }
    this.opts.progress.blobsCopied++;
    this.opts.progress.bytesCopied += size ?? length ?? 0;
  }
}

/** digest → size of an image manifest's config and layers (parseManifest has validated the shape). */
function blobSizes(bytes: Buffer): Map<Digest, number> {
  const doc = JSON.parse(bytes.toString('utf8')) as { config: { digest: Digest; size: number }; layers: { digest: Digest; size: number }[] };
  return new Map([doc.config, ...doc.layers].map((d) => [d.digest, d.size]));
}

/** Runs fn over items, `limit` at a time; after a failure no new item starts, and it settles only when all have stopped. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** A manifest the push path refuses is the source's fault: reported as InvalidManifest with the push path's reason. */
function asImportFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toImportFailure(err);
  }
}

async function asImportFailureAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toImportFailure(err);
  }
}

function toImportFailure(err: unknown): unknown {
  if (!(err instanceof WharfError)) return err;
  if (err.code === 'MANIFEST_INVALID' || err.code === 'MANIFEST_TOO_LARGE' || err.code === 'MANIFEST_BLOB_UNKNOWN') {
    return new ImportFailure(`the source's manifest is refused as a push would be: ${err.message}`, 'InvalidManifest');
  }
  if (err.code === 'DIGEST_INVALID') return new ImportFailure(err.message, 'DigestMismatch');
  return err;
}
