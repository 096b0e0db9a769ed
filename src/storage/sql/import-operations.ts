import type { Kysely, Selectable } from 'kysely';
import { WharfError } from '../../errors/wharf-error.ts';
import type { ImportOperationRecord, ImportOperationStatus, ImportOperationStore, ImportProgressRecord } from '../metadata-store.ts';
import { isUniqueViolation } from './errors.ts';
import type { Database, SqlContext } from './schema.ts';

/** The 007-import-operations table. */
export type ImportOperationTables = { import_operations: ImportOperationRow };

export interface ImportOperationRow {
  id: string;
  owner_id: string;
  source: string;
  /** JSON array of target strings. */
  targets: string;
  node: string;
  status: ImportOperationStatus;
  error_code: string | null;
  error_message: string | null;
  manifests: number;
  blobs_copied: number;
  blobs_skipped: number;
  bytes_copied: number;
  started_at: number;
  heartbeat_at: number;
  ended_at: number | null;
}

function toRecord(row: Selectable<ImportOperationRow>): ImportOperationRecord {
  return {
    id: row.id,
    ownerId: row.owner_id,
    source: row.source,
    targets: JSON.parse(row.targets) as string[],
    node: row.node,
    status: row.status,
    ...(row.error_code !== null && { error: { code: row.error_code, message: row.error_message ?? '' } }),
    progress: {
      manifests: Number(row.manifests),
      blobsCopied: Number(row.blobs_copied),
      blobsSkipped: Number(row.blobs_skipped),
      bytesCopied: Number(row.bytes_copied),
    },
    startedAt: Number(row.started_at),
    heartbeatAt: Number(row.heartbeat_at),
    ...(row.ended_at !== null && { endedAt: Number(row.ended_at) }),
  };
}

const progressColumns = (p: ImportProgressRecord) => ({
  manifests: p.manifests, blobs_copied: p.blobsCopied, blobs_skipped: p.blobsSkipped, bytes_copied: p.bytesCopied,
});

/** Import operations; every change after create is conditional on status InProgress, so an ended operation stays as it ended. */
export function importOperationStore(ctx: SqlContext): ImportOperationStore {
  const db = ctx.db.withTables<ImportOperationTables>() as Kysely<Database & ImportOperationTables>;
  const running = (id: string) => db.updateTable('import_operations').where('id', '=', id).where('status', '=', 'InProgress');
  return {
    async create(op) {
      const row: ImportOperationRow = {
        id: op.id, owner_id: op.ownerId, source: op.source, targets: JSON.stringify(op.targets), node: op.node, status: 'InProgress',
        error_code: null, error_message: null, manifests: 0, blobs_copied: 0, blobs_skipped: 0, bytes_copied: 0,
        started_at: op.startedAt, heartbeat_at: op.startedAt, ended_at: null,
      };
      try {
        await db.insertInto('import_operations').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new WharfError('CONFLICT', `operation ${op.id} exists`, { detail: { id: op.id } });
        throw err;
      }
      return toRecord(row);
    },

    async get(id) {
      const row = await db.selectFrom('import_operations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecord(row);
    },

    async progress(id, progress, at) {
      const result = await running(id).set({ ...progressColumns(progress), heartbeat_at: at }).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async finish(id, end) {
      const result = await running(id)
        .set({
          ...progressColumns(end.progress), status: end.status, error_code: end.error?.code ?? null, error_message: end.error?.message ?? null,
          heartbeat_at: end.at, ended_at: end.at,
        })
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async interrupt(on, error, at) {
      const rows = await db
        .updateTable('import_operations')
        .set({ status: 'Failed', error_code: error.code, error_message: error.message, ended_at: at })
        .where('status', '=', 'InProgress')
        .where((eb) => {
          const stale = eb('heartbeat_at', '<', on.heartbeatBefore);
          return on.node === undefined ? stale : eb.or([stale, eb('node', '=', on.node)]);
        })
        .returning('id')
        .execute();
      return rows.map((r) => r.id).sort();
    },

    async prune(before) {
      const result = await db.deleteFrom('import_operations').where('ended_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
