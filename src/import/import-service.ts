import type { Logger } from 'pino';
import { requireWritable } from '../acr/locks.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { EventRecorder } from '../events/recorder.ts';
import type { ManifestService } from '../oci/manifest-service.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type { UploadService } from '../oci/upload-service.ts';
import type { MetadataStore } from '../storage/metadata-store.ts';
import { ImageCopier, type CopyTarget } from './image-copier.ts';
import { ImportEvents } from './import-events.ts';
import { ImportFailure } from './import-failure.ts';
import { ImportOperations, type ImportOperation, type RunningImport } from './import-operations.ts';
import type { SourceCredentials } from './source-auth.ts';
import { SourceHttp, type SourceTls } from './source-http.ts';
import { formatSourceReference, type SourceReference } from './source-reference.ts';
import { SourceRegistry, type FetchedManifest } from './source-registry.ts';

/** What to import, validated (spec 6). */
export interface ImportRequest {
  readonly source: SourceReference;
  readonly credentials?: SourceCredentials;
  readonly targetTags: readonly { repo: RepoName; tag: Tag }[];
  readonly untaggedRepositories: readonly RepoName[];
  /** Mode Force: move existing target tags. */
  readonly force: boolean;
  readonly includeReferrers: boolean;
}

/** Who imports: the operation's owner, and which repositories it may pull (to link blobs from there). */
export interface Importer {
  readonly principalId: string;
  mayPull(repo: RepoName): Promise<boolean>;
}

export interface ImportServiceDeps {
  readonly metadata: MetadataStore;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;
  readonly tls: SourceTls;
  /** Manifests per import (index, children, referrers), config import.maxManifests. */
  readonly maxManifests: number;
  readonly log: Logger;
  readonly now: () => number;
  /** The audit log (and webhooks): the manifests and tags an import writes, as pushes. */
  readonly events?: EventRecorder;
  /** This process among the nodes sharing the metadata database, stable across its restarts. */
  readonly node: string;
  /** No other process shares the metadata database (SQLite). */
  readonly singleNode: boolean;
}

/**
 * `wharf import`: a server-side copy from another registry into this one, run in the background
 * and tracked as an operation. Target checks (tag conflicts) happen before the operation starts;
 * everything that needs the source happens in it. Trust data is never copied (spec 6).
 */
export class ImportService {
  readonly #operations: ImportOperations;
  readonly #runs = new Set<Promise<void>>();

  private constructor(private readonly deps: ImportServiceDeps) {
    this.#operations = new ImportOperations({ store: deps.metadata.imports, node: deps.node, now: deps.now, log: deps.log });
  }

  /** The service, once the operations a previous process left InProgress are ended as interrupted. */
  static async open(deps: ImportServiceDeps): Promise<ImportService> {
    const service = new ImportService(deps);
    await service.#operations.recover(deps.singleNode);
    return service;
  }

  /**
   * Starts an import; CONFLICT naming the tag when a target tag exists and `force` is off; DENIED
   * when a target repository or tag is write-locked, even with `force` (spec 6).
   */
  async start(request: ImportRequest, importer: Importer): Promise<ImportOperation> {
    for (const { repo, tag } of request.targetTags) await requireWritable(this.deps.metadata.attributes, repo, { kind: 'tag', tag });
    for (const repo of request.untaggedRepositories) await requireWritable(this.deps.metadata.attributes, repo, { kind: 'repository' });
    if (!request.force) await this.#refuseExistingTags(request, 'sync');
    const targets = [...request.targetTags.map((t) => `${t.repo}:${t.tag}`), ...request.untaggedRepositories];
    const op = await this.#operations.create(importer.principalId, formatSourceReference(request.source), targets);
    const run = this.#run(op, request, importer).finally(() => this.#runs.delete(run));
    this.#runs.add(run);
    return op;
  }

  /** The operation, if `principalId` started it (on any node sharing the metadata database). */
  operation(id: string, principalId: string): Promise<ImportOperation | undefined> {
    return this.#operations.get(id, principalId);
  }

  /** Stops running imports (server shutdown) and waits until their operations are stored Failed with code Canceled. */
  async close(): Promise<void> {
    this.#operations.abortAll();
    await Promise.all(this.#runs);
  }

  /** Never rejects: every outcome ends in the operation. */
  async #run(op: RunningImport, request: ImportRequest, importer: Importer): Promise<void> {
    const log = this.deps.log.child({ operation: op.id, source: op.source });
    const http = new SourceHttp(this.deps.tls);
    const audit = new ImportEvents(this.deps.events, op, new Set(request.targetTags.map((t) => t.repo)));
    let outcome: Pick<ImportOperation, 'status' | 'error'>;
    try {
      log.info({ targets: op.targets }, 'import started');
      const { source: ref, credentials } = request;
      const signal = op.controller.signal;
      const source = new SourceRegistry(ref.host, ref.repository, credentials, http, signal, this.deps.manifests.maxBytes);
      const root = await source.manifest(ref.digest !== undefined ? { digest: ref.digest } : { tag: ref.tag! });
      if (root === undefined) throw new ImportFailure(`${op.source} does not exist (manifest unknown)`, 'SourceNotFound');
      const repos = new Set<RepoName>([...request.targetTags.map((t) => t.repo), ...request.untaggedRepositories]);
      for (const repo of repos) {
        const copier = new ImageCopier(source, this.#target(repo, importer), {
          maxManifests: this.deps.maxManifests, includeReferrers: request.includeReferrers, progress: op.progress, signal,
          stored: (manifest, put) => audit.stored(repo, manifest, put, manifest.digest === root.digest),
        });
        await copier.copy(root);
      }
      await this.#tag(request, root, audit);
      outcome = { status: 'Succeeded' };
      log.info({ progress: op.progress }, 'import succeeded');
    } catch (err) {
      outcome = { status: 'Failed', error: this.#describe(err, op) };
      log.warn({ err: err instanceof ImportFailure ? undefined : err, error: outcome.error }, 'import failed');
    } finally {
      audit.end();
      http.close();
    }
    await this.#operations.finish(op, outcome);
  }

  #target(repo: RepoName, importer: Importer): CopyTarget {
    const { metadata, uploads, manifests } = this.deps;
    return { repo, metadata, uploads, manifests, mayPull: (r) => importer.mayPull(r) };
  }

  /** Points the target tags at the root, after checking again that none appeared meanwhile (unless forced). */
  async #tag(request: ImportRequest, root: FetchedManifest, audit: ImportEvents): Promise<void> {
    if (!request.force) await this.#refuseExistingTags(request, 'async');
    for (const { repo, tag } of request.targetTags) {
      audit.tagged(repo, tag, root, await this.deps.manifests.put(repo, { kind: 'tag', tag }, root.mediaType, root.bytes));
    }
  }

  async #refuseExistingTags(request: ImportRequest, when: 'sync' | 'async'): Promise<void> {
    for (const { repo, tag } of request.targetTags) {
      if ((await this.deps.metadata.tags.resolve(repo, tag)) === undefined) continue;
      const message = `tag ${repo}:${tag} already exists; import with --force (mode Force) to move it`;
      throw when === 'sync' ? new WharfError('CONFLICT', message) : new ImportFailure(message, 'Conflict');
    }
  }

  #describe(err: unknown, op: RunningImport): NonNullable<ImportOperation['error']> {
    if (err instanceof ImportFailure) return { code: err.code, message: err.message };
    if (op.controller.signal.aborted) {
      return { code: 'Canceled', message: 'the registry shut down during the import; run it again (what was copied is skipped)' };
    }
    if (err instanceof WharfError && err.status < 500) return { code: 'ImportFailed', message: err.message };
    return { code: 'InternalServerError', message: `the import failed inside the registry; see its log for operation ${op.id}` };
  }
}
