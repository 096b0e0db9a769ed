import type { Gun, TrustDoc, TufRole } from './types.ts';

const MAX_DOCS = 4096;
const MAX_CACHED_DOC_BYTES = 1024 * 1024;

/**
 * In-process cache of the trust read path. Files by checksum are immutable, so they are cached on
 * any deployment. The latest timestamp of a GUN is cached only where this process makes every
 * change (one node on SQLite), invalidated by this process's own writes, with a TTL as a backstop;
 * with several nodes every read asks the database for it, so that another node's publish shows at once.
 */
export class TrustReadCache {
  private readonly latest = new Map<string, { doc: TrustDoc; at: number }>();
  private readonly docs = new Map<string, TrustDoc>();
  /** Bumped by every invalidation: a lookup that started earlier does not store its answer. */
  generation = 0;

  constructor(private readonly opts: { cacheLatest: boolean; ttlMs: number }) {}

  latestTimestamp(gun: Gun): TrustDoc | undefined {
    const entry = this.latest.get(gun);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.opts.ttlMs) {
      this.latest.delete(gun);
      return undefined;
    }
    return entry.doc;
  }

  storeLatestTimestamp(gun: Gun, doc: TrustDoc, generation: number): void {
    if (!this.opts.cacheLatest || generation !== this.generation) return;
    if (this.latest.size >= MAX_DOCS) this.latest.clear();
    this.latest.set(gun, { doc, at: Date.now() });
  }

  doc(gun: Gun, role: TufRole, sha256Hex: string): TrustDoc | undefined {
    return this.docs.get(`${gun}\n${role}\n${sha256Hex}`);
  }

  storeDoc(gun: Gun, doc: TrustDoc): void {
    if (doc.bytes.length > MAX_CACHED_DOC_BYTES) return;
    if (this.docs.size >= MAX_DOCS) this.docs.clear();
    this.docs.set(`${gun}\n${doc.role}\n${doc.sha256Hex}`, doc);
  }

  /** After this process wrote or deleted trust data of the GUN. */
  invalidate(gun: Gun): void {
    this.generation++;
    this.latest.delete(gun);
  }
}
