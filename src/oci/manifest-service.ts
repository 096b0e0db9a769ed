import { requireDeletable, requireWritable } from '../acr/locks.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { MetadataStore, Page, ReferrerRecord, StoredManifest } from '../storage/metadata-store.ts';
import { digestOf, type Digest } from './digest.ts';
import { parseManifest } from './manifest.ts';
import type { ManifestCache } from './manifest-cache.ts';
import type { Reference, RepoName, Tag } from './names.ts';

export interface PutResult {
  digest: Digest;
  subject?: Digest;
  /** The digest a pushed tag pointed at before (read just before the write), for the audit log. */
  previousDigest?: Digest;
}

/** Manifests, tags, referrers and the catalog; no HTTP types. */
export class ManifestService {
  constructor(
    private readonly metadata: MetadataStore,
    readonly maxBytes: number,
    private readonly cache: ManifestCache,
  ) {}

  /**
   * Validates and stores a manifest as the exact bytes received. Every blob and child manifest it
   * names must already be in the repository, except its subject (referrers may come first).
   */
  async put(repo: RepoName, ref: Reference, contentType: string | undefined, bytes: Buffer): Promise<PutResult> {
    if (bytes.length > this.maxBytes) {
      throw new WharfError('MANIFEST_TOO_LARGE', `manifest is ${bytes.length} bytes; the limit is ${this.maxBytes}`);
    }
    const algorithm = ref.kind === 'digest' ? (ref.digest.slice(0, ref.digest.indexOf(':')) as 'sha256' | 'sha512') : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (ref.kind === 'digest' && ref.digest !== digest) {
      throw new WharfError('DIGEST_INVALID', `manifest digest is ${digest}, not ${ref.digest}`);
    }
    const parsed = parseManifest(bytes, contentType);
    await requireWritable(this.metadata.attributes, repo, ref.kind === 'tag' ? { kind: 'tag', tag: ref.tag } : { kind: 'manifest', digest });
    const previousDigest = ref.kind === 'tag' ? await this.metadata.tags.resolve(repo, ref.tag) : undefined;
    const { missing } = await this.metadata.manifests.put({
      repo,
      digest,
      mediaType: parsed.mediaType,
      bytes,
      blobRefs: parsed.blobRefs,
      manifestRefs: parsed.manifestRefs,
      subject: parsed.subject,
      artifactType: parsed.artifactType,
      annotations: parsed.annotations,
      tag: ref.kind === 'tag' ? ref.tag : undefined,
    });
    // After the write: a lookup that read the old tag meanwhile then does not cache it.
    if (ref.kind === 'tag') this.cache.dropTag(repo, ref.tag);
    if (missing.length > 0) {
      throw new WharfError('MANIFEST_BLOB_UNKNOWN', `manifest references ${missing.length} unknown blob(s) or manifest(s)`, {
        detail: { digests: missing },
      });
    }
    return { digest, subject: parsed.subject, ...(previousDigest && { previousDigest }) };
  }

  async get(repo: RepoName, ref: Reference): Promise<StoredManifest> {
    const digest = ref.kind === 'digest' ? ref.digest : await this.resolveTag(repo, ref.tag);
    const manifest = digest && (this.cache.manifest(repo, digest) ?? (await this.loadManifest(repo, digest)));
    if (!manifest) {
      if (!(await this.metadata.repositories.exists(repo))) throw new WharfError('NAME_UNKNOWN', undefined, { detail: { name: repo } });
      throw new WharfError('MANIFEST_UNKNOWN', undefined, { detail: ref.kind === 'tag' ? { tag: ref.tag } : { digest: ref.digest } });
    }
    return manifest;
  }

  /** Whether the manifest carries a `subject` (is an OCI referrer); false when there is no such manifest. */
  async hasSubject(repo: RepoName, digest: Digest): Promise<boolean> {
    const manifest = this.cache.manifest(repo, digest) ?? (await this.loadManifest(repo, digest));
    // Stored manifests passed parseManifest on the way in; the media type stands in for the Content-Type.
    return manifest !== undefined && parseManifest(manifest.bytes, manifest.mediaType).subject !== undefined;
  }

  /** By digest: the manifest and its tags go. By tag: only the tag goes (distribution-spec v1.1). DENIED while locked. */
  async delete(repo: RepoName, ref: Reference): Promise<void> {
    await requireDeletable(this.metadata.attributes, repo, ref.kind === 'tag' ? { kind: 'tag', tag: ref.tag } : { kind: 'manifest', digest: ref.digest });
    let deleted: boolean;
    if (ref.kind === 'digest') {
      deleted = await this.metadata.manifests.delete(repo, ref.digest);
      this.cache.dropManifest(repo, ref.digest);
    } else {
      deleted = await this.metadata.tags.delete(repo, ref.tag);
      this.cache.dropTag(repo, ref.tag);
    }
    if (!deleted) throw new WharfError('MANIFEST_UNKNOWN');
  }

  /**
   * Deletes the repository with its manifests, tags and blob links (not its trust data: the caller's
   * job); DENIED while it or anything in it is delete-locked, NAME_UNKNOWN when absent.
   */
  async deleteRepository(repo: RepoName): Promise<{ manifests: Digest[]; tags: Tag[] }> {
    await requireDeletable(this.metadata.attributes, repo, { kind: 'repository' });
    const deleted = await this.metadata.attributes.deleteRepository(repo);
    if (!deleted) throw new WharfError('NAME_UNKNOWN', undefined, { detail: { name: repo } });
    for (const digest of deleted.manifests) this.cache.dropManifest(repo, digest);
    for (const tag of deleted.tags) this.cache.dropTag(repo, tag);
    return deleted;
  }

  private async resolveTag(repo: RepoName, tag: Tag): Promise<Digest | undefined> {
    const cached = this.cache.tag(repo, tag);
    if (cached) return cached;
    const generation = this.cache.generation;
    const digest = await this.metadata.tags.resolve(repo, tag);
    if (digest) this.cache.storeTag(repo, tag, digest, generation);
    return digest;
  }

  private async loadManifest(repo: RepoName, digest: Digest): Promise<StoredManifest | undefined> {
    const generation = this.cache.generation;
    const manifest = await this.metadata.manifests.get(repo, digest);
    if (manifest) this.cache.storeManifest(repo, manifest, generation);
    return manifest;
  }

  async tags(repo: RepoName, page: Page): Promise<string[]> {
    const tags = await this.metadata.tags.list(repo, page);
    if (!tags) throw new WharfError('NAME_UNKNOWN', undefined, { detail: { name: repo } });
    return tags;
  }

  async catalog(page: Page): Promise<string[]> {
    return this.metadata.repositories.list(page);
  }

  /** Referrers of `subject`; an empty list for an unknown digest of a known repository. */
  async referrers(repo: RepoName, subject: Digest, artifactType?: string): Promise<ReferrerRecord[]> {
    if (!(await this.metadata.repositories.exists(repo))) throw new WharfError('NAME_UNKNOWN', undefined, { detail: { name: repo } });
    return this.metadata.manifests.referrers(repo, subject, artifactType);
  }
}
