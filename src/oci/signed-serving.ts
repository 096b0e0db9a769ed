import { WharfError } from '../errors/wharf-error.ts';
import type { Page, StoredManifest } from '../storage/metadata-store.ts';
import type { TrustPolicyReader } from '../trust/policy.ts';
import type { RepoSignedTags, SignedTagsCache } from '../trust/signed-tags-cache.ts';
import type { Digest } from './digest.ts';
import { parseManifest } from './manifest.ts';
import type { RepoName, Tag } from './names.ts';

/** Reads a manifest of the repository; undefined when absent. */
export type ManifestLoader = (repo: RepoName, digest: Digest) => Promise<StoredManifest | undefined>;

/** How deep index children and referrer subjects are followed (real images nest two or three). */
const MAX_DEPTH = 8;

/** What the OCI routes ask of the content trust policy; `undefined` from `enforced` means serve as usual. */
export interface SignedServing {
  /** The repository's signed view when the policy is `enforced` for it. */
  enforced(repo: RepoName): Promise<EnforcedRepo | undefined>;
}

/**
 * One repository under `enforced` (spec 5.3): tags resolve to the digest their valid trust data
 * signs, digests are served only when reachable from a signed target (D(r)), and tag lists show
 * only signed tags whose manifest exists.
 */
export class EnforcedRepo {
  readonly #repo: RepoName;
  readonly #signed: RepoSignedTags;
  readonly #load: ManifestLoader;
  readonly #children: (signed: RepoSignedTags) => Promise<ReadonlySet<Digest>>;

  constructor(repo: RepoName, signed: RepoSignedTags, load: ManifestLoader, children: (signed: RepoSignedTags) => Promise<ReadonlySet<Digest>>) {
    this.#repo = repo;
    this.#signed = signed;
    this.#load = load;
    this.#children = children;
  }

  /** The signed digest of `tag`, else the 404 that says why. */
  signedDigest(tag: Tag): Digest {
    const digest = this.#signed.tags.get(tag);
    if (!digest) throw notSigned({ tag });
    return digest;
  }

  /** Throws the policy's 404 unless `digest` is in D(r). */
  async requireServable(digest: Digest): Promise<void> {
    if (!(await this.#isServable(digest, 0))) throw notSigned({ digest });
  }

  /** A page of the signed tags (byte order) whose signed manifest is in the repository, and that `isListed` (when given) keeps. */
  async tags(page: Page, isListed?: (tag: string, digest: Digest) => boolean): Promise<string[]> {
    const names = [...this.#signed.tags.keys()].sort().filter((t) => page.last === undefined || t > page.last);
    const out: string[] = [];
    for (const name of names) {
      if (out.length >= page.limit) break;
      const digest = this.#signed.tags.get(name)!;
      if (isListed && !isListed(name, digest)) continue;
      if (await this.#load(this.#repo, digest)) out.push(name);
    }
    return out;
  }

  async #isServable(digest: Digest, depth: number): Promise<boolean> {
    for (const signed of this.#signed.tags.values()) if (signed === digest) return true;
    if ((await this.#children(this.#signed)).has(digest)) return true;
    if (depth >= MAX_DEPTH) return false;
    // A referrer (signature, SBOM) is servable when its subject is.
    const manifest = await this.#load(this.#repo, digest);
    const subject = manifest && parseManifest(manifest.bytes, manifest.mediaType).subject;
    return subject !== undefined && (await this.#isServable(subject, depth + 1));
  }
}

/** The enforcement refusal: 404 MANIFEST_UNKNOWN, as for an absent manifest, with the reason (spec 5.3). */
export function notSigned(what: { tag: string } | { digest: string }): WharfError {
  const name = 'tag' in what ? `tag ${what.tag}` : `manifest ${what.digest}`;
  return new WharfError('MANIFEST_UNKNOWN', `${name} is not signed: the registry's content trust policy (enforced) serves only signed content`, {
    detail: { reason: 'content trust policy: not signed', ...what },
  });
}

/** The policy, the verified signed tags and the manifests put together for the OCI routes. */
export class PolicySignedServing implements SignedServing {
  readonly #policy: TrustPolicyReader;
  readonly #signedTags: SignedTagsCache;
  readonly #load: ManifestLoader;
  /** Children of signed indexes per verified trust version: signed targets are immutable bytes. */
  readonly #children = new Map<string, ReadonlySet<Digest>>();

  constructor(policy: TrustPolicyReader, signedTags: SignedTagsCache, load: ManifestLoader) {
    this.#policy = policy;
    this.#signedTags = signedTags;
    this.#load = load;
  }

  async enforced(repo: RepoName): Promise<EnforcedRepo | undefined> {
    if ((await this.#policy.statusFor(repo)) !== 'enforced') return undefined;
    const signed = await this.#signedTags.forRepo(repo);
    return new EnforcedRepo(repo, signed, this.#load, (s) => this.#childrenOf(repo, s));
  }

  /** Every manifest a signed index lists, recursively; remembered only when every index was present. */
  async #childrenOf(repo: RepoName, signed: RepoSignedTags): Promise<ReadonlySet<Digest>> {
    const key = `${repo}\n${signed.version}`;
    const known = this.#children.get(key);
    if (known) return known;
    const children = new Set<Digest>();
    let complete = true;
    let level = [...new Set(signed.tags.values())];
    for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
      const next: Digest[] = [];
      for (const digest of level) {
        const manifest = await this.#load(repo, digest);
        if (!manifest) {
          complete = false;
          continue;
        }
        for (const child of parseManifest(manifest.bytes, manifest.mediaType).manifestRefs) {
          if (!children.has(child)) next.push(child);
          children.add(child);
        }
      }
      level = next;
    }
    if (complete) {
      if (this.#children.size >= 10_000) this.#children.clear();
      this.#children.set(key, children);
    }
    return children;
  }
}
