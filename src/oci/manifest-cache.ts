import type { StoredManifest } from '../storage/metadata-store.ts';
import type { Digest } from './digest.ts';

export interface ManifestCacheOptions {
  /** Entries older than this are looked up again: bounds staleness from writers in other processes. */
  ttlMs: number;
  /** Upper bound on cached manifest bytes. */
  maxBytes: number;
  /**
   * Whether tag → digest answers are cached. Safe only when this process makes every tag change
   * (SQLite: one node); with several nodes on PostgreSQL a tag moved elsewhere must be seen at once.
   */
  cacheTags: boolean;
}

interface Entry<T> {
  value: T;
  at: number;
}

/**
 * In-process cache for the manifest GET path. Manifests are content-addressed, so a cached entry
 * can only be stale by having been deleted; this process drops entries on its own writes and the
 * TTL bounds what other processes (`wharf gc`, other nodes) change.
 */
export class ManifestCache {
  private readonly manifests = new Map<string, Entry<StoredManifest>>();
  private readonly tags = new Map<string, Entry<Digest>>();
  private bytes = 0;
  /**
   * Bumped by every invalidation. A lookup that started before an invalidation may have read the
   * old row; its answer is not stored (see `generation` arguments).
   */
  generation = 0;

  constructor(private readonly opts: ManifestCacheOptions) {}

  manifest(repo: string, digest: Digest): StoredManifest | undefined {
    return this.fresh(this.manifests, `${repo}@${digest}`);
  }

  storeManifest(repo: string, manifest: StoredManifest, generation: number): void {
    if (generation !== this.generation || manifest.bytes.length > this.opts.maxBytes / 16) return;
    const key = `${repo}@${manifest.digest}`;
    this.dropManifestKey(key);
    this.manifests.set(key, { value: manifest, at: Date.now() });
    this.bytes += manifest.bytes.length;
    // Map iteration is insertion order: the first entries are the oldest.
    for (const [oldest] of this.manifests) {
      if (this.bytes <= this.opts.maxBytes) break;
      this.dropManifestKey(oldest);
    }
  }

  tag(repo: string, tag: string): Digest | undefined {
    return this.opts.cacheTags ? this.fresh(this.tags, `${repo}:${tag}`) : undefined;
  }

  storeTag(repo: string, tag: string, digest: Digest, generation: number): void {
    if (!this.opts.cacheTags || generation !== this.generation) return;
    if (this.tags.size >= 100_000) this.tags.clear();
    this.tags.set(`${repo}:${tag}`, { value: digest, at: Date.now() });
  }

  dropTag(repo: string, tag: string): void {
    this.generation++;
    this.tags.delete(`${repo}:${tag}`);
  }

  /** After a manifest is deleted: the manifest and every tag that pointed at it. */
  dropManifest(repo: string, digest: Digest): void {
    this.generation++;
    this.dropManifestKey(`${repo}@${digest}`);
    const prefix = `${repo}:`;
    for (const [key, entry] of this.tags) {
      if (entry.value === digest && key.startsWith(prefix)) this.tags.delete(key);
    }
  }

  private dropManifestKey(key: string): void {
    const entry = this.manifests.get(key);
    if (!entry) return;
    this.manifests.delete(key);
    this.bytes -= entry.value.bytes.length;
  }

  private fresh<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.opts.ttlMs) {
      map === (this.manifests as unknown) ? this.dropManifestKey(key) : map.delete(key);
      return undefined;
    }
    return entry.value;
  }
}
