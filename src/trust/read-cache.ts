import type { Gun, NewTrustDoc, TrustDoc, TufRole } from './types.ts';

const MAX_DOCS = 4096;
const MAX_CACHED_DOC_BYTES = 1024 * 1024;

/** The newest stored version of one role: what a publish validates against and builds on. */
export type HeadDoc = NewTrustDoc;

/**
 * In-process cache of the trust read and publish paths. Files by checksum are immutable, so they
 * are cached on any deployment. What changes (the latest timestamp a read starts from, the newest
 * version of each role a publish validates against) is cached only where this process makes every
 * change (one node on SQLite): this process's own writes update or drop it, and a TTL is a backstop.
 * With several nodes every read and publish asks the database, so that another node's publish
 * shows at once and is never validated against a stale root.
 */
export class TrustReadCache {
  private readonly latest = new Map<string, { doc: TrustDoc; at: number }>();
  private readonly heads = new Map<string, { docs: Map<TufRole, HeadDoc>; at: number }>();
  private readonly docs = new Map<string, TrustDoc>();
  /** Bumped by every write or invalidation: a lookup that started earlier does not store its answer. */
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

  /** The newest stored version of `role`, when known here (single node only). */
  head(gun: Gun, role: TufRole): HeadDoc | undefined {
    const entry = this.heads.get(gun);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.opts.ttlMs) {
      this.heads.delete(gun);
      return undefined;
    }
    return entry.docs.get(role);
  }

  /** Remembers what the store answered for the newest version of a role, unless a write came in between. */
  storeHead(gun: Gun, doc: HeadDoc, generation: number): void {
    if (!this.opts.cacheLatest || generation !== this.generation || doc.bytes.length > MAX_CACHED_DOC_BYTES) return;
    this.headsOf(gun).docs.set(doc.role, doc);
  }

  doc(gun: Gun, role: TufRole, sha256Hex: string): TrustDoc | undefined {
    return this.docs.get(`${gun}\n${role}\n${sha256Hex}`);
  }

  storeDoc(gun: Gun, doc: TrustDoc): void {
    if (doc.bytes.length > MAX_CACHED_DOC_BYTES) return;
    if (this.docs.size >= MAX_DOCS) this.docs.clear();
    this.docs.set(`${gun}\n${doc.role}\n${doc.sha256Hex}`, doc);
  }

  /**
   * After this process committed `written` for the GUN: they are the newest versions of their roles
   * now (the store refuses any version not above the stored ones), so a publish that follows needs
   * not read them back. Reads still fetch the new timestamp once, with the store's creation time.
   */
  wrote(gun: Gun, written: readonly HeadDoc[]): void {
    this.generation++;
    this.latest.delete(gun);
    if (!this.opts.cacheLatest) return;
    const { docs } = this.headsOf(gun);
    for (const doc of written) {
      const known = docs.get(doc.role);
      // A write that finished earlier but is recorded late must not replace a newer version.
      if (doc.bytes.length <= MAX_CACHED_DOC_BYTES && (!known || known.version < doc.version)) docs.set(doc.role, doc);
      else if (doc.bytes.length > MAX_CACHED_DOC_BYTES) docs.delete(doc.role);
    }
  }

  /** After this process wrote or deleted trust data of the GUN with an outcome it does not know in full. */
  invalidate(gun: Gun): void {
    this.generation++;
    this.latest.delete(gun);
    this.heads.delete(gun);
  }

  private headsOf(gun: Gun): { docs: Map<TufRole, HeadDoc>; at: number } {
    let entry = this.heads.get(gun);
    if (!entry || Date.now() - entry.at > this.opts.ttlMs) {
      if (this.heads.size >= MAX_DOCS) this.heads.clear();
      entry = { docs: new Map(), at: Date.now() };
      this.heads.set(gun, entry);
    }
    return entry;
  }
}
