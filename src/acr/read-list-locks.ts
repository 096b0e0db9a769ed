import type { Logger } from 'pino';
import { WharfError } from '../errors/wharf-error.ts';
import type { Digest } from '../oci/digest.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type { AttributeIndex, AttributeTarget, ChangeableAttributes, Restriction } from '../storage/metadata-store.ts';
import { lockedError } from './locks.ts';

export interface ReadListLocksOptions {
  /**
   * How often the snapshot is reloaded in the background: changes made on other nodes sharing the
   * database show within this (plus one query); this node's own changes show at once.
   */
  refreshMs: number;
  log: Pick<Logger, 'warn' | 'info'>;
}

/**
 * Keys: a repository by its name, a tag as `repo:tag`, a manifest as `repo@digest` (repository
 * names contain neither `:` nor `@`, so the three never collide).
 */
interface Snapshot {
  readonly readLocked: Set<string>;
  readonly listHidden: Set<string>;
}

/**
 * ACR's readEnabled and listEnabled, kept in memory so that the manifest and blob GET paths check
 * them without a query: a snapshot of every restricted repository, tag and manifest
 * (AttributeIndex.restricted), reloaded every `refreshMs` in the background, changed at once by
 * this node's own attribute updates (`changed`). Fails closed: reads wait for the first load (and
 * get 503 UNAVAILABLE while it fails); a failed reload keeps the last snapshot and logs a warning.
 */
export class ReadListLocks {
  readonly #attributes: Pick<AttributeIndex, 'restricted'>;
  readonly #opts: ReadListLocksOptions;
  #snapshot: Snapshot | undefined;
  /** Each reload takes the next number; a snapshot is installed only over an older one. */
  #seq = 0;
  #installed = 0;
  #first: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #failing = false;

  constructor(attributes: Pick<AttributeIndex, 'restricted'>, opts: ReadListLocksOptions) {
    this.#attributes = attributes;
    this.#opts = opts;
  }

  /** Loads the first snapshot and reloads it every `refreshMs` until `close`. */
  start(): void {
    if (this.#timer === undefined && !this.#closed) void this.#tick();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** Undefined once a snapshot is loaded (the checks below are then synchronous); until then the load to await. */
  loaded(): Promise<void> | undefined {
    if (this.#snapshot) return undefined;
    this.#first ??= this.#loadFirst().finally(() => {
      this.#first = undefined;
    });
    return this.#first;
  }

  /**
   * Throws 403 DENIED when readEnabled is off on the repository, on `tag` (when given) or on the
   * manifest `digest` (when given: a read by tag passes the digest it resolved to as well). After `loaded()`.
   */
  requireReadable(repo: RepoName, tag?: Tag, digest?: Digest): void {
    const locked = this.#current().readLocked;
    if (locked.size === 0) return;
    if (locked.has(repo)) throw lockedError({ kind: 'repository', repo }, 'readEnabled');
    if (tag !== undefined && locked.has(`${repo}:${tag}`)) throw lockedError({ kind: 'tag', repo, tag }, 'readEnabled');
    if (digest !== undefined && locked.has(`${repo}@${digest}`)) throw lockedError({ kind: 'manifest', repo, digest }, 'readEnabled');
  }

  /** Whether the repository's content may be read, e.g. as a cross-repository mount's source. */
  async isRepositoryReadable(repo: RepoName): Promise<boolean> {
    await this.loaded();
    return !this.#current().readLocked.has(repo);
  }

  /** Whether listings show the tag: listEnabled on for it and for the manifest it points at. After `loaded()`. */
  isTagListed(repo: RepoName, tag: string, digest: Digest): boolean {
    const hidden = this.#current().listHidden;
    return hidden.size === 0 || !(hidden.has(`${repo}:${tag}`) || hidden.has(`${repo}@${digest}`));
  }

  /** After this node changed attributes in the database: applies the change now (reloads started before it are discarded). */
  changed(target: AttributeTarget, change: Partial<ChangeableAttributes>): void {
    if (change.readEnabled === undefined && change.listEnabled === undefined) return;
    this.#installed = ++this.#seq;
    const snapshot = this.#snapshot;
    if (!snapshot) return;
    const key = keyOf(target);
    if (change.readEnabled !== undefined) toggle(snapshot.readLocked, key, !change.readEnabled);
    if (change.listEnabled !== undefined) toggle(snapshot.listHidden, key, !change.listEnabled);
  }

  #current(): Snapshot {
    if (!this.#snapshot) throw new WharfError('UNAVAILABLE', 'read and list locks are not loaded yet');
    return this.#snapshot;
  }

  async #loadFirst(): Promise<void> {
    try {
      // A change applied meanwhile discards the load that started before it: load again.
      while (!this.#snapshot) await this.#reload();
    } catch (err) {
      throw new WharfError('UNAVAILABLE', 'the read and list locks (readEnabled, listEnabled) could not be loaded from the metadata store', { cause: err });
    }
  }

  async #reload(): Promise<void> {
    const seq = ++this.#seq;
    const rows = await this.#attributes.restricted();
    if (seq > this.#installed) {
      this.#snapshot = snapshotOf(rows);
      this.#installed = seq;
    }
  }

  async #tick(): Promise<void> {
    try {
      await this.#reload();
      if (this.#failing) this.#opts.log.info('read and list locks reloaded again');
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) {
        this.#opts.log.warn({ err }, this.#snapshot ? 'read and list locks could not be reloaded; keeping the last snapshot' : 'read and list locks could not be loaded; reads wait for them');
      }
      this.#failing = true;
    }
    if (!this.#closed) this.#timer = setTimeout(() => void this.#tick(), this.#opts.refreshMs).unref();
  }
}

function keyOf(target: AttributeTarget): string {
  if (target.kind === 'repository') return target.repo;
  return target.kind === 'tag' ? `${target.repo}:${target.tag}` : `${target.repo}@${target.digest}`;
}

function toggle(set: Set<string>, key: string, on: boolean): void {
  if (on) set.add(key);
  else set.delete(key);
}

function snapshotOf(rows: readonly Restriction[]): Snapshot {
  const snapshot: Snapshot = { readLocked: new Set(), listHidden: new Set() };
  for (const row of rows) {
    const key = keyOf(row);
    if (!row.readEnabled) snapshot.readLocked.add(key);
    if (!row.listEnabled) snapshot.listHidden.add(key);
  }
  return snapshot;
}
