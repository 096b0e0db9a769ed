import { WharfError } from '../errors/wharf-error.ts';
import type { Digest } from '../oci/digest.ts';
import type { ManifestService } from '../oci/manifest-service.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type {
  AttributeTarget, ChangeableAttributes, DetailPage, ManifestDetail, MetadataStore, Page, RepositoryDetail, TagDetail,
} from '../storage/metadata-store.ts';
import type { SignedTags } from '../trust/signed-targets.ts';

/**
 * A tag as /acr/v1 shows it: `signed` iff valid trust data signs its current digest (spec 5.3 last
 * bullet), and then who signed it as `docker trust inspect` names them (else none).
 */
export interface SignedTagDetail extends TagDetail {
  signed: boolean;
  signers: readonly string[];
}

/** What the listings need of S(r): tag → signed digest, and tag → its signers. */
export type SignedTagsView = Pick<SignedTags, 'tags' | 'signers'>;

export interface RepositoryView extends RepositoryDetail {
  signedTagCount: number;
}

export interface AcrServiceDeps {
  metadata: MetadataStore;
  /** Untag and repository delete go through it: lock checks and its caches. */
  manifests: ManifestService;
  /** S(r): tag → the digest the repository's verified trust data signs, and its signers (SignedTagsCache); absent: nothing is signed. */
  signedTags?: (repo: RepoName) => Promise<SignedTagsView>;
  /** Deletes the repository's trust data under every host name (ContentTrustAdmin.reset). */
  deleteTrustData?: (repo: RepoName) => Promise<boolean>;
  /** Told of every attribute change once it is stored (ReadListLocks.changed: reads and lists see it at once). */
  attributesChanged?: (target: AttributeTarget, change: Partial<ChangeableAttributes>) => void;
}

const NOTHING_SIGNED: SignedTagsView = { tags: new Map(), signers: new Map() };

/** The /acr/v1 metadata API without HTTP: details, attribute changes, untag, repository delete. */
export class AcrService {
  readonly #d: AcrServiceDeps;

  constructor(deps: AcrServiceDeps) {
    this.#d = deps;
  }

  catalog(page: Page): Promise<string[]> {
    return this.#d.metadata.repositories.list(page);
  }

  async repository(repo: RepoName): Promise<RepositoryView> {
    const detail = known(await this.#d.metadata.attributes.repository(repo), repo);
    const signed = await this.#signed(repo);
    let signedTagCount = 0;
    if (signed.tags.size > 0) {
      // Only tags that are signed at all can count; their current digests come from one page query.
      const tags = await this.#d.metadata.attributes.tags(repo, { limit: Number.MAX_SAFE_INTEGER, order: 'name' });
      signedTagCount = (tags ?? []).filter((t) => signed.tags.get(t.name) === t.digest).length;
    }
    return { ...detail, signedTagCount };
  }

  async tags(repo: RepoName, page: DetailPage): Promise<SignedTagDetail[]> {
    const tags = known(await this.#d.metadata.attributes.tags(repo, page), repo);
    const signed = await this.#signed(repo);
    return tags.map((t) => withSigned(t, signed));
  }

  async tag(repo: RepoName, tag: Tag): Promise<SignedTagDetail> {
    const detail = await this.#d.metadata.attributes.tag(repo, tag);
    if (!detail) throw await this.#absent(repo, 'MANIFEST_UNKNOWN', { tag });
    return withSigned(detail, await this.#signed(repo));
  }

  async manifests(repo: RepoName, page: DetailPage): Promise<ManifestDetail[]> {
    return known(await this.#d.metadata.attributes.manifests(repo, page), repo);
  }

  async manifest(repo: RepoName, digest: Digest): Promise<ManifestDetail> {
    const detail = await this.#d.metadata.attributes.manifest(repo, digest);
    if (!detail) throw await this.#absent(repo, 'MANIFEST_UNKNOWN', { digest });
    return detail;
  }

  /** Sets the attributes given; NAME_UNKNOWN / MANIFEST_UNKNOWN when the target does not exist. */
  async update(target: AttributeTarget, change: Partial<ChangeableAttributes>): Promise<void> {
    if (await this.#d.metadata.attributes.update(target, change)) {
      this.#d.attributesChanged?.(target, change);
      return;
    }
    if (target.kind === 'repository') throw new WharfError('NAME_UNKNOWN', undefined, { detail: { name: target.repo } });
    throw await this.#absent(target.repo, 'MANIFEST_UNKNOWN', target.kind === 'tag' ? { tag: target.tag } : { digest: target.digest });
  }

  /** Removes the tag, keeping the manifest (ACR untag); DENIED while it or the repository is delete-locked. */
  async untag(repo: RepoName, tag: Tag): Promise<void> {
    await this.#d.manifests.delete(repo, { kind: 'tag', tag });
  }

  /** Deletes the repository, its images and its trust data (spec 5.4); what was deleted, as ACR answers. */
  async deleteRepository(repo: RepoName): Promise<{ manifestsDeleted: Digest[]; tagsDeleted: Tag[] }> {
    const deleted = await this.#d.manifests.deleteRepository(repo);
    await this.#d.deleteTrustData?.(repo);
    return { manifestsDeleted: deleted.manifests, tagsDeleted: deleted.tags };
  }

  async #signed(repo: RepoName): Promise<SignedTagsView> {
    return this.#d.signedTags ? this.#d.signedTags(repo) : NOTHING_SIGNED;
  }

  /** MANIFEST_UNKNOWN for a missing tag or manifest of a known repository, else NAME_UNKNOWN. */
  async #absent(repo: RepoName, code: 'MANIFEST_UNKNOWN', detail: Record<string, string>): Promise<WharfError> {
    if (!(await this.#d.metadata.repositories.exists(repo))) return new WharfError('NAME_UNKNOWN', undefined, { detail: { name: repo } });
    return new WharfError(code, undefined, { detail });
  }
}

function withSigned(t: TagDetail, view: SignedTagsView): SignedTagDetail {
  const signed = view.tags.get(t.name) === t.digest;
  return { ...t, signed, signers: (signed && view.signers.get(t.name)) || [] };
}

function known<T>(value: T | undefined, repo: RepoName): T {
  if (value === undefined) throw new WharfError('NAME_UNKNOWN', undefined, { detail: { name: repo } });
  return value;
}
