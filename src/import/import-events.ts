import type { EventRecorder, RegistryEvent } from '../events/recorder.ts';
import type { PutResult } from '../oci/manifest-service.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type { ImportOperation } from './import-operations.ts';
import type { FetchedManifest } from './source-registry.ts';

/**
 * The audit records of what an import writes: the actions a push records (`image.pushed`, or
 * `tag.moved` when a forced import moves a tag), so push webhooks fire for imported images as in
 * ACR. The actor is the importing principal; detail adds `importedFrom` (the source) and
 * `operation`. A root manifest that gets a tag in its repository is recorded once, with the tag,
 * as `docker push` records it; one stored but never tagged (the import failed before tagging) is
 * recorded by digest when the import ends.
 */
export class ImportEvents {
  readonly #untaggedRoots = new Map<RepoName, RegistryEvent>();

  constructor(
    private readonly events: EventRecorder | undefined,
    private readonly op: Pick<ImportOperation, 'id' | 'ownerId' | 'source'>,
    private readonly taggedRepos: ReadonlySet<RepoName>,
  ) {}

  /** A manifest stored by digest in `repo`; `isRoot` when it is the imported image itself. */
  stored(repo: RepoName, manifest: FetchedManifest, put: PutResult, isRoot: boolean): void {
    const event = this.#event(repo, undefined, manifest, put);
    if (isRoot && this.taggedRepos.has(repo)) this.#untaggedRoots.set(repo, event);
    else this.events?.record(event);
  }

  /** A target tag pointed at the root. */
  tagged(repo: RepoName, tag: Tag, manifest: FetchedManifest, put: PutResult): void {
    this.#untaggedRoots.delete(repo);
    this.events?.record(this.#event(repo, tag, manifest, put));
  }

  /** Records the roots stored but left untagged. */
  end(): void {
    for (const event of this.#untaggedRoots.values()) this.events?.record(event);
    this.#untaggedRoots.clear();
  }

  #event(repo: RepoName, tag: Tag | undefined, manifest: FetchedManifest, put: PutResult): RegistryEvent {
    const moved = put.previousDigest !== undefined && put.previousDigest !== put.digest;
    return {
      action: moved ? 'tag.moved' : 'image.pushed',
      actor: { id: this.op.ownerId },
      repository: repo,
      subject: put.digest,
      detail: {
        ...(tag !== undefined && { tag }),
        size: manifest.bytes.length,
        mediaType: manifest.mediaType,
        ...(moved && { previousDigest: put.previousDigest }),
        importedFrom: this.op.source,
        operation: this.op.id,
      },
    };
  }
}
