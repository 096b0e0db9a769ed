import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ImportOperationRecord, ImportOperationStore } from '../storage/metadata-store.ts';
import type { ImportProgress } from './image-copier.ts';
import type { ImportFailureCode } from './import-failure.ts';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

/** One import as the operation resource shows it (GET /api/operations/<id>). */
export interface ImportOperation {
  readonly id: string;
  /** objectId of the principal that started it: the only one who may read it. */
  readonly ownerId: string;
  readonly source: string;
  /** `repo:tag`, or `repo` for an untagged target. */
  readonly targets: readonly string[];
  readonly startedAt: number;
  readonly progress: ImportProgress;
  status: OperationStatus;
  error?: { code: ImportFailureCode | 'InternalServerError'; message: string };
  endedAt?: number;
}

/** An import this process runs: live progress, and the controller that aborts the copy (shutdown). */
export interface RunningImport extends ImportOperation {
  readonly controller: AbortController;
}

/** Finished operations are kept this long (docs/import.md), pruned when an import starts. */
export const KEEP_FINISHED_MS = 7 * 24 * 60 * 60 * 1000;
/** How often the runner writes changed progress; unchanged, it still writes every HEARTBEAT_MS. */
const WRITE_EVERY_MS = 1000;
const HEARTBEAT_MS = 10_000;
/** An InProgress operation without a write for this long has lost the process that ran it. */
export const STALE_AFTER_MS = 60_000;

export const INTERRUPTED = {
  code: 'Canceled',
  message: 'interrupted by a restart of Wharf; run the import again — layers already copied are skipped',
} as const satisfies { code: ImportFailureCode; message: string };

export interface ImportOperationsDeps {
  readonly store: ImportOperationStore;
  /** Names this process among the nodes sharing the database; stable across its restarts (host name and listen address). */
  readonly node: string;
  readonly now: () => number;
  readonly log: Logger;
}

interface Running {
  readonly op: RunningImport;
  readonly timer: NodeJS.Timeout;
  written: string;
  writtenAt: number;
  writing?: Promise<void>;
}

/**
 * Import operations in the metadata store, so that any node shows them and they survive a
 * restart; the copy itself does not survive one, so operations a previous process left InProgress
 * end Failed (INTERRUPTED). This process keeps the imports it runs in memory for live progress
 * and writes that progress every second (a heartbeat every 10 s when nothing moves); another node
 * takes an operation without a write for STALE_AFTER_MS as interrupted.
 */
export class ImportOperations {
  readonly #running = new Map<string, Running>();

  constructor(private readonly deps: ImportOperationsDeps) {}

  /**
   * At startup: ends as interrupted what this node's previous process left InProgress, and what
   * has not been heard of for STALE_AFTER_MS (with `singleNode`, everything InProgress: no other
   * process shares the database).
   */
  async recover(singleNode: boolean): Promise<void> {
    const { store, node, now, log } = this.deps;
    const at = now();
    const ids = await store.interrupt({ node, heartbeatBefore: singleNode ? at : at - STALE_AFTER_MS }, INTERRUPTED, at);
    if (ids.length > 0) log.warn({ operations: ids }, 'import operations interrupted by a restart marked failed');
    await store.prune(at - KEEP_FINISHED_MS);
  }

  async create(ownerId: string, source: string, targets: readonly string[]): Promise<RunningImport> {
    const { store, node, now } = this.deps;
    const at = now();
    await store.prune(at - KEEP_FINISHED_MS);
    const record = await store.create({ id: randomUUID(), ownerId, source, targets: [...targets], node, startedAt: at });
    const op: RunningImport = { ...fromRecord(record), controller: new AbortController() };
    const entry: Running = { op, timer: setInterval(() => this.#write(entry), WRITE_EVERY_MS).unref(), written: JSON.stringify(op.progress), writtenAt: at };
    this.#running.set(op.id, entry);
    return op;
  }

  /** The operation if `ownerId` started it; undefined otherwise (others' operations are not revealed). */
  async get(id: string, ownerId: string): Promise<ImportOperation | undefined> {
    const local = this.#running.get(id)?.op;
    if (local) return local.ownerId === ownerId ? local : undefined;
    let record = await this.deps.store.get(id);
    if (record?.ownerId !== ownerId) return undefined;
    const at = this.deps.now();
    if (record.status === 'InProgress' && record.heartbeatAt < at - STALE_AFTER_MS) {
      await this.deps.store.interrupt({ heartbeatBefore: at - STALE_AFTER_MS }, INTERRUPTED, at);
      record = (await this.deps.store.get(id)) ?? record;
    }
    return fromRecord(record);
  }

  /**
   * Stores the outcome with the final progress, then forgets the import. When the write fails the
   * operation stays InProgress in the store until another read finds it stale (interrupted).
   */
  async finish(op: RunningImport, outcome: Pick<ImportOperation, 'status' | 'error'>): Promise<void> {
    const entry = this.#running.get(op.id);
    if (entry) {
      clearInterval(entry.timer);
      await entry.writing;
    }
    const at = this.deps.now();
    Object.assign(op, outcome, { endedAt: at });
    try {
      const status = outcome.status === 'Succeeded' ? 'Succeeded' : 'Failed';
      const ended = await this.deps.store.finish(op.id, { status, ...(outcome.error && { error: outcome.error }), progress: op.progress, at });
      if (!ended) this.deps.log.warn({ operation: op.id, status }, 'import operation had been ended as interrupted (no progress written for too long)');
    } catch (err) {
      this.deps.log.error({ err, operation: op.id }, 'import operation outcome not stored');
    } finally {
      this.#running.delete(op.id);
    }
  }

  /** Aborts every import this process runs (the server is shutting down). */
  abortAll(): void {
    for (const { op } of this.#running.values()) op.controller.abort();
  }

  #write(entry: Running): void {
    const at = this.deps.now();
    const progress = JSON.stringify(entry.op.progress);
    if (entry.writing || (progress === entry.written && at - entry.writtenAt < HEARTBEAT_MS)) return;
    entry.writing = this.deps.store
      .progress(entry.op.id, { ...entry.op.progress }, at)
      .then((isRunning) => {
        entry.written = progress;
        entry.writtenAt = at;
        // Another node ended it as interrupted: what this process still copies would be reported nowhere.
        if (!isRunning) entry.op.controller.abort();
      })
      .catch((err: unknown) => this.deps.log.warn({ err, operation: entry.op.id }, 'import progress not stored'))
      .finally(() => {
        entry.writing = undefined;
      });
  }
}

function fromRecord(record: ImportOperationRecord): ImportOperation {
  return {
    id: record.id,
    ownerId: record.ownerId,
    source: record.source,
    targets: record.targets,
    startedAt: record.startedAt,
    progress: { ...record.progress },
    status: record.status,
    ...(record.error && { error: record.error as NonNullable<ImportOperation['error']> }),
    ...(record.endedAt !== undefined && { endedAt: record.endedAt }),
  };
}
