import type { RepoName } from '../../oci/names.ts';
import type { UploadId } from '../blob-store.ts';
import type { UploadSession, UploadSessions } from '../metadata-store.ts';
import type { SqlContext, UploadRow } from './schema.ts';

function toSession(row: UploadRow): UploadSession {
  return {
    id: row.id as UploadId,
    repo: row.repo as RepoName,
    offset: row.offset,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}

/** Chunked upload sessions; the offset moves only by compare-and-set. */
export function uploadSessions({ db, now }: SqlContext): UploadSessions {
  return {
    async create(id: UploadId, repo: RepoName): Promise<UploadSession> {
      const at = now();
      const row: UploadRow = { id, repo, offset: 0, started_at: at, updated_at: at };
      await db.insertInto('uploads').values(row).execute();
      return toSession(row);
    },

    async get(id: UploadId): Promise<UploadSession | undefined> {
      const row = await db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toSession(row);
    },

    async advance(id: UploadId, from: number, to: number): Promise<boolean> {
      const result = await db
        .updateTable('uploads')
        .set({ offset: to, updated_at: now() })
        .where('id', '=', id)
        .where('offset', '=', from)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async delete(id: UploadId): Promise<void> {
      await db.deleteFrom('uploads').where('id', '=', id).execute();
    },

    async stale(before: number): Promise<UploadSession[]> {
      const rows = await db
        .selectFrom('uploads')
        .selectAll()
        .where('updated_at', '<', before)
        .orderBy('updated_at')
        .orderBy('id')
        .execute();
      return rows.map(toSession);
    },
  };
}
