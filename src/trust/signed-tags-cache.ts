import { isWharfError } from '../errors/wharf-error.ts';
import type { TrustDocs } from '../storage/metadata-store.ts';
import { listedDelegations, NO_SIGNED_TAGS, verifySignedTags, type SignedTags } from './signed-targets.ts';
import type { Gun, TrustDoc, TufRole } from './types.ts';

/** What the cache reads: a role's current file as clients get it (timestamp re-signed when due). */
export interface CurrentTrustReader {
  current(gun: Gun, role: TufRole): Promise<TrustDoc>;
}

export interface SignedTagsCacheOptions {
  /** `host[:port]` names a GUN may start with, in order: the first GUN with trust data is the repository's. */
  hosts: readonly string[];
  /**
   * How long a verified answer is used before the GUN's latest timestamp is looked up again (a
   * cheap query; the full verification runs again only when it changed). Short with several nodes
   * on PostgreSQL, where other nodes publish; longer on one node, whose own publishes invalidate.
   */
  recheckMs: number;
}

/** A repository's verified signed tags (and their signers, for listings), with the timestamp they were verified under. */
export interface RepoSignedTags extends SignedTags {
  readonly gun: Gun | undefined;
  /** Changes whenever the verified trust data does (new timestamp, other GUN): keys derived caches. */
  readonly version: string;
}

interface Entry {
  value: RepoSignedTags;
  checkedAt: number;
}

const MAX_ENTRIES = 10_000;

/**
 * S(r) per repository (spec 5.3), verified in full (root, thresholds, hashes, delegations, expiry),
 * with each signed tag's signers for the listings (computed in the same pass, so serving, which
 * reads only `tags`, pays nothing for them per request), and cached until the GUN's trust data changes: a publish or deletion through this process
 * invalidates at once, other nodes' writes are seen within `recheckMs`, and an answer is never used
 * past the earliest expiry it relied on.
 */
export class SignedTagsCache {
  readonly #docs: TrustDocs;
  readonly #reader: CurrentTrustReader;
  readonly #opts: SignedTagsCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<RepoSignedTags>>();
  #generation = 0;

  constructor(docs: TrustDocs, reader: CurrentTrustReader, opts: SignedTagsCacheOptions) {
    this.#docs = docs;
    this.#reader = reader;
    this.#opts = opts;
  }

  async forRepo(repo: string): Promise<RepoSignedTags> {
    const now = Date.now();
    const entry = this.#entries.get(repo);
    if (entry && now < entry.value.validUntil && now - entry.checkedAt < this.#opts.recheckMs) return entry.value;
    let loading = this.#loading.get(repo);
    if (!loading) {
      loading = this.#refresh(repo, entry).finally(() => this.#loading.delete(repo));
      this.#loading.set(repo, loading);
    }
    return loading;
  }

  /** After this process published or deleted the GUN's trust data, or the policy changed. */
  invalidate(gun?: Gun): void {
    this.#generation++;
    if (gun === undefined) this.#entries.clear();
    else this.#entries.delete(gun.slice(gun.indexOf('/') + 1));
  }

  async #refresh(repo: string, entry: Entry | undefined): Promise<RepoSignedTags> {
    const generation = this.#generation;
    const now = Date.now();
    const located = await this.#locate(repo);
    let value: RepoSignedTags;
    if (entry && now < entry.value.validUntil && entry.value.version === versionOf(located)) {
      value = entry.value;
    } else {
      value = located ? await this.#verify(located.gun) : { ...NO_SIGNED_TAGS, gun: undefined, version: '' };
    }
    if (generation === this.#generation) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(repo, { value, checkedAt: now });
    }
    return value;
  }

  /** The repository's GUN: the first of our host names under which trust data exists. */
  async #locate(repo: string): Promise<{ gun: Gun; timestamp: TrustDoc } | undefined> {
    for (const host of this.#opts.hosts) {
      const gun = `${host}/${repo}` as Gun;
      const timestamp = await this.#docs.latest(gun, 'timestamp' as TufRole);
      if (timestamp) return { gun, timestamp };
    }
    return undefined;
  }

  async #verify(gun: Gun): Promise<RepoSignedTags> {
    const read = (role: string) => this.#reader.current(gun, role as TufRole);
    try {
      // The timestamp first: reading it re-signs it when due, and the rest follow what it names.
      const timestamp = await read('timestamp');
      const [root, snapshot, targets, releases] = await Promise.all([
        read('root'), read('snapshot'), read('targets'), read('targets/releases').catch(absentAsUndefined),
      ]);
      // Other delegations only name signers; a repository without them costs no further read.
      const names = listedDelegations(snapshot.bytes);
      const delegations = new Map<string, Buffer>();
      if (names.length > 0) {
        const docs = await Promise.all(names.map((name) => read(name).catch(absentAsUndefined)));
        names.forEach((name, i) => docs[i] && delegations.set(name, docs[i].bytes));
      }
      const signed = verifySignedTags({
        root: root.bytes, timestamp: timestamp.bytes, snapshot: snapshot.bytes, targets: targets.bytes, releases: releases?.bytes, delegations,
      }, Date.now());
      return { ...signed, gun, version: versionOf({ gun, timestamp }) };
    } catch (err) {
      // Deleted meanwhile, or data that does not parse: nothing is signed.
      if (isWharfError(err)) return { ...NO_SIGNED_TAGS, gun, version: '' };
      throw err;
    }
  }
}

function versionOf(located: { gun: Gun; timestamp: TrustDoc } | undefined): string {
  return located ? `${located.gun}\n${located.timestamp.sha256Hex}` : '';
}

function absentAsUndefined(err: unknown): undefined {
  if (isWharfError(err) && err.code === 'METADATA_NOT_FOUND') return undefined;
  throw err;
}
