import { randomUUID } from 'node:crypto';
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
  /** Aborts the copy (server shutdown). */
  readonly controller: AbortController;
  status: OperationStatus;
  error?: { code: ImportFailureCode | 'InternalServerError'; message: string };
  endedAt?: number;
}

const KEEP_FINISHED_MS = 24 * 60 * 60 * 1000;
const MAX_KEPT = 1000;

/**
 * Imports in progress and recently finished, in this process's memory: a restart forgets them (an
 * import cut short is run again and skips what it had copied), and on several nodes an operation
 * is only known to the node that runs it. Finished ones are kept a day, at most MAX_KEPT in all.
 */
export class ImportOperations {
  readonly #byId = new Map<string, ImportOperation>();

  create(ownerId: string, source: string, targets: readonly string[], now: number): ImportOperation {
    this.#prune(now);
    const op: ImportOperation = {
      id: randomUUID(), ownerId, source, targets, startedAt: now, status: 'InProgress',
      progress: { manifests: 0, blobsCopied: 0, blobsSkipped: 0, bytesCopied: 0 },
      controller: new AbortController(),
    };
    this.#byId.set(op.id, op);
    return op;
  }

  /** The operation if `ownerId` started it; undefined otherwise (others' operations are not revealed). */
  get(id: string, ownerId: string): ImportOperation | undefined {
    const op = this.#byId.get(id);
    return op?.ownerId === ownerId ? op : undefined;
  }

  /** Aborts every import still running (the server is shutting down). */
  abortAll(): void {
    for (const op of this.#byId.values()) if (op.status === 'InProgress') op.controller.abort();
  }

  #prune(now: number): void {
    for (const [id, op] of this.#byId) {
      if (op.endedAt !== undefined && (now - op.endedAt > KEEP_FINISHED_MS || this.#byId.size >= MAX_KEPT)) this.#byId.delete(id);
    }
  }
}
