import { createHash } from 'node:crypto';
import { WharfError, isWharfError } from '../errors/wharf-error.ts';
import type { MetadataStore } from '../storage/metadata-store.ts';
import { parseEnvelope, rootFromJSON, snapshotFromJSON, type Root } from './models/index.ts';
import { SNAPSHOT_LIFETIME_MS, TIMESTAMP_LIFETIME_MS, buildSnapshot, buildTimestamp } from './server-signing.ts';
import type { HeadDoc, TrustReadCache } from './read-cache.ts';
import type { Signer } from './signatures.ts';
import type { PublicKeyAnswer, ServerKeysService } from './server-keys-service.ts';
import type { Gun, NewTrustDoc, ServerRole, TrustChange, TrustDoc, TufRole } from './types.ts';
import { roleOfFilename } from './update/parts.ts';
import { validateUpdate } from './validate-update.ts';

const DAY_MS = 86_400_000;
/** Re-sign on read a little before expiry, so that clients never see an expired timestamp. */
const RESIGN_MARGIN_MS = DAY_MS;

/** Per-part limits beyond the reference's (spec 2.6 [R]): the clients' own download caps. */
const MAX_TIMESTAMP_PART = 1024 * 1024;

/** Parsed facts of one timestamp version: what reads need without parsing on every request. */
interface CurrentState {
  timestamp: TrustDoc;
  timestampExpiresAt: number;
  snapshot: TrustDoc | undefined;
  snapshotExpiresAt: number;
  /** Role → hex SHA-256 the snapshot lists. */
  snapshotMeta: ReadonlyMap<string, string>;
}

const MAX_CACHED_STATES = 10_000;

/** The newest stored version of a role of one GUN, each read at most once per operation. */
type HeadReader = (role: TufRole) => Promise<HeadDoc | undefined>;

/** The Notary v1 trust API's rules: publish, reads (with re-signing), keys, deletion, changefeed. No HTTP. */
export class TrustService {
  /** Keyed by GUN and timestamp checksum: entries never go stale, only unused. */
  private readonly states = new Map<string, CurrentState>();

  constructor(
    private readonly metadata: MetadataStore,
    readonly keys: ServerKeysService,
    private readonly cache: TrustReadCache,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Validates a publish completely (spec 6.3), then stores the client's files with a server-signed
   * snapshot (when the server holds that key) and timestamp in one transaction.
   */
  async publish(gun: Gun, files: ReadonlyMap<string, Buffer>): Promise<void> {
    checkPartSizes(files);
    const now = this.now();
    const held = this.keys.forGun(gun);
    const head = this.heads(gun);
    // What every publish reads, asked for at once: with PostgreSQL the queries overlap instead of taking
    // turns. Each is awaited again where it is used; the catch only keeps an early failure from going unhandled.
    Promise.all([
      head('root' as TufRole), head('snapshot' as TufRole), head('timestamp' as TufRole),
      held.heldKeyIds('snapshot', []), held.heldKeyIds('timestamp', []),
    ]).catch(() => undefined);
    const update = await validateUpdate({
      gun,
      parts: files,
      now,
      stored: async (role) => (await head(role))?.bytes,
      serverHeldKeyIds: (role, keyIds) => held.heldKeyIds(role, keyIds),
    });
    const docs: NewTrustDoc[] = update.docs.map((d) => doc(d.role, d.version, d.bytes));
    let snapshot = docs.find((d) => d.role === 'snapshot')?.bytes;
    if (update.snapshotKeyIds) {
      const previous = await this.currentSnapshot(gun, head);
      const files = new Map<TufRole, Buffer>(docs.filter((d) => d.role !== 'snapshot').map((d) => [d.role, d.bytes]));
      if (!previous) {
        // A first snapshot lists root and targets even when only one of them was uploaded now.
        for (const role of ['root', 'targets'] as TufRole[]) {
          if (!files.has(role)) {
            const stored = await head(role);
            if (stored) files.set(role, stored.bytes);
          }
        }
      }
      const version = ((await head('snapshot' as TufRole))?.version ?? 0) + 1;
      const signers = await held.signers('snapshot', update.snapshotKeyIds);
      const built = buildSnapshot({ previous: previous?.bytes, files, version, expires: new Date(now.getTime() + SNAPSHOT_LIFETIME_MS), signers });
      docs.push(doc('snapshot' as TufRole, version, built));
      snapshot = built;
    }
    snapshot ??= (await this.currentSnapshot(gun, head))?.bytes;
    if (!snapshot) throw new WharfError('INVALID_UPDATE', undefined, { detail: badHierarchy('snapshot') });
    docs.push(await this.nextTimestamp(snapshot, await held.signers('timestamp', update.timestampKeyIds), now, head));
    await this.store(gun, docs);
  }

  /** Writes one operation's documents and tells the cache what is newest now. */
  private async store(gun: Gun, docs: NewTrustDoc[]): Promise<void> {
    try {
      await this.metadata.trust.putMany(gun, docs);
    } catch (err) {
      this.cache.invalidate(gun);
      throw err;
    }
    this.cache.wrote(gun, docs);
  }

  /**
   * Reads the newest version of each role once per operation: from the cache on a single node, else
   * from the store (a publish asks for root, snapshot and timestamp several times over).
   */
  private heads(gun: Gun): HeadReader {
    const generation = this.cache.generation;
    const reads = new Map<TufRole, Promise<HeadDoc | undefined>>();
    return (role) => {
      let read = reads.get(role);
      if (!read) {
        const cached = this.cache.head(gun, role);
        read = cached
          ? Promise.resolve(cached)
          : this.metadata.trust.latest(gun, role).then((doc) => {
              if (doc) this.cache.storeHead(gun, doc, generation);
              return doc;
            });
        reads.set(role, read);
      }
      return read;
    };
  }

  /** E3: the current file of a role; timestamp and snapshot re-signed first when they expire. */
  async current(gun: Gun, role: TufRole): Promise<TrustDoc> {
    const state = await this.freshState(gun);
    if (role === 'timestamp') return state.timestamp;
    if (role === 'snapshot') return found(state.snapshot);
    // The version the current snapshot lists; a role it does not list: the latest stored (spec E3 [R]).
    const hash = state.snapshotMeta.get(role);
    const listed = hash ? (this.cache.doc(gun, role, hash) ?? (await this.metadata.trust.byChecksum(gun, role, hash))) : undefined;
    if (listed) this.cache.storeDoc(gun, listed);
    return found(listed ?? (await this.metadata.trust.latest(gun, role)));
  }

  /** E4: by the SHA-256 of the exact stored bytes; only lowercase hex can match. */
  async byChecksum(gun: Gun, role: TufRole, sha256Hex: string): Promise<TrustDoc> {
    return found(/^[0-9a-f]{64}$/.test(sha256Hex) ? await this.metadata.trust.byChecksum(gun, role, sha256Hex) : undefined);
  }

  /** E5 */
  async byVersion(gun: Gun, role: TufRole, version: number): Promise<TrustDoc> {
    return found(version >= 1 ? await this.metadata.trust.byVersion(gun, role, version) : undefined);
  }

  /** E7 */
  async key(gun: Gun, role: ServerRole): Promise<PublicKeyAnswer> {
    return this.keys.current(gun, role, await this.currentRoot(this.heads(gun)));
  }

  /** E8 */
  async rotateKey(gun: Gun, role: ServerRole): Promise<PublicKeyAnswer> {
    return this.keys.rotate(gun, role);
  }

  /** E9: every version of every role goes; the server keys are retired. Idempotent. */
  async delete(gun: Gun): Promise<void> {
    try {
      await this.metadata.trust.deleteGun(gun);
    } finally {
      this.cache.invalidate(gun);
    }
    await this.metadata.serverKeys.retireGun(gun);
  }

  /** E10/E11 */
  async changes(query: { gun?: Gun; changeId: number; records: number }): Promise<TrustChange[]> {
    return this.metadata.trust.changes(query);
  }

  private async currentRoot(head: HeadReader): Promise<Root | undefined> {
    const stored = await head('root' as TufRole);
    return stored && rootFromJSON(parseEnvelope(stored.bytes).signedValue);
  }

  /** The snapshot the latest timestamp names (spec E3), or the latest snapshot without a timestamp. */
  private async currentSnapshot(gun: Gun, head: HeadReader): Promise<HeadDoc | undefined> {
    const timestamp = await head('timestamp' as TufRole);
    const hash = timestamp && metaSha256(timestamp.bytes, 'snapshot');
    const newest = await head('snapshot' as TufRole);
    // Usually the timestamp names the newest snapshot: no need to look it up by checksum.
    if (!hash || newest?.sha256Hex === hash) return newest;
    return (await this.metadata.trust.byChecksum(gun, 'snapshot' as TufRole, hash)) ?? newest;
  }

  /**
   * What the latest timestamp names, parsed once per timestamp version: a read costs one query for
   * the latest timestamp (so other nodes' publishes are seen at once) plus, for targets and
   * delegations, one for the file itself.
   */
  private async state(gun: Gun): Promise<CurrentState> {
    const generation = this.cache.generation;
    let timestamp = this.cache.latestTimestamp(gun);
    if (!timestamp) {
      timestamp = found(await this.metadata.trust.latest(gun, 'timestamp' as TufRole));
      this.cache.storeLatestTimestamp(gun, timestamp, generation);
    }
    const key = `${gun}\n${timestamp.sha256Hex}`;
    const cached = this.states.get(key);
    if (cached) return cached;
    const hash = metaSha256(timestamp.bytes, 'snapshot');
    const snapshot = hash ? await this.metadata.trust.byChecksum(gun, 'snapshot' as TufRole, hash) : undefined;
    const snapshotMeta = new Map<string, string>();
    if (snapshot) {
      for (const [role, meta] of snapshotFromJSON(parseEnvelope(snapshot.bytes).signedValue).meta) {
        const sha256 = meta.hashes.get('sha256');
        if (sha256) snapshotMeta.set(role, sha256.toString('hex'));
      }
    }
    const state: CurrentState = {
      timestamp,
      timestampExpiresAt: parseEnvelope(timestamp.bytes).expiresAt.getTime(),
      snapshot,
      snapshotExpiresAt: snapshot ? parseEnvelope(snapshot.bytes).expiresAt.getTime() : Number.POSITIVE_INFINITY,
      snapshotMeta,
    };
    if (this.states.size >= MAX_CACHED_STATES) this.states.clear();
    this.states.set(key, state);
    return state;
  }

  /**
   * The current state, re-signed first when the timestamp (or a server-held snapshot) expires
   * within the margin (spec 7.3). A client-held snapshot that expired is served as it is: clients
   * report the expiry, and the server never answers 500 for it ([R], section 14.56).
   */
  private async freshState(gun: Gun): Promise<CurrentState> {
    const state = await this.state(gun);
    const now = this.now();
    const soon = now.getTime() + RESIGN_MARGIN_MS;
    const snapshotStale = state.snapshotExpiresAt <= soon;
    if (state.timestampExpiresAt > soon && !snapshotStale) return state;
    const head = this.heads(gun);
    const root = await this.currentRoot(head);
    const snapshot = state.snapshot;
    if (!root || !snapshot) return state;
    const docs: NewTrustDoc[] = [];
    const held = this.keys.forGun(gun);
    let snapshotBytes = snapshot.bytes;
    const snapshotKeys = await held.heldKeyIds('snapshot', root.roles.get('snapshot')?.keyIds ?? []);
    if (snapshotStale && snapshotKeys.length > 0) {
      const version = snapshot.version + 1;
      const signers = await held.signers('snapshot', snapshotKeys);
      snapshotBytes = buildSnapshot({ previous: snapshot.bytes, files: new Map(), version, expires: new Date(now.getTime() + SNAPSHOT_LIFETIME_MS), signers });
      docs.push(doc('snapshot' as TufRole, version, snapshotBytes));
    }
    const timestampSigners = await held.signers('timestamp', root.roles.get('timestamp')?.keyIds ?? []);
    if (timestampSigners.length === 0) return state;
    docs.push(await this.nextTimestamp(snapshotBytes, timestampSigners, now, head));
    try {
      await this.store(gun, docs);
    } catch (err) {
      // Another reader re-signed first: serve theirs.
      if (!(isWharfError(err) && err.code === 'TRUST_VERSION')) throw err;
    }
    return this.state(gun);
  }

  private async nextTimestamp(snapshot: Buffer, signers: readonly Signer[], now: Date, head: HeadReader): Promise<NewTrustDoc> {
    const version = ((await head('timestamp' as TufRole))?.version ?? 0) + 1;
    const bytes = buildTimestamp({ snapshot, version, expires: new Date(now.getTime() + TIMESTAMP_LIFETIME_MS), signers });
    return doc('timestamp' as TufRole, version, bytes);
  }
}

/**
 * Per-part size limit beyond the reference's (spec 2.6 [R]). Role names and duplicates are
 * validateUpdate's (update/parts.ts); the names are read here with the same function, so that an
 * invalid name is still reported before an oversized part.
 */
function checkPartSizes(files: ReadonlyMap<string, Buffer>): void {
  const roles = [...files].map(([name, bytes]) => ({ role: roleOfFilename(name), bytes }));
  for (const { role, bytes } of roles) {
    if (role === 'timestamp' && bytes.length > MAX_TIMESTAMP_PART) {
      throw new WharfError('MALFORMED_UPLOAD', `timestamp part exceeds ${MAX_TIMESTAMP_PART} bytes`);
    }
  }
}

function doc(role: TufRole, version: number, bytes: Buffer): NewTrustDoc {
  return { role, version, bytes, sha256Hex: createHash('sha256').update(bytes).digest('hex') };
}

/** Hex SHA-256 that a snapshot or timestamp lists for `role`. */
function metaSha256(bytes: Buffer, role: string): string | undefined {
  return snapshotFromJSON(parseEnvelope(bytes).signedValue).meta.get(role)?.hashes.get('sha256')?.toString('hex');
}

function found<T>(value: T | undefined): T {
  if (value === undefined) throw new WharfError('METADATA_NOT_FOUND', undefined, { detail: {} });
  return value;
}

function badHierarchy(missing: string) {
  return {
    Name: 'ErrBadHierarchy',
    Error: { Msg: 'no snapshot was included in update and server does not hold current snapshot key for repository', Missing: missing },
  };
}
