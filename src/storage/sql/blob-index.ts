import type { Digest } from '../../oci/digest.ts';
import type { RepoName } from '../../oci/names.ts';
import type { BlobIndex } from '../metadata-store.ts';
import { isForeignKeyViolation } from './errors.ts';
import type { SqlContext } from './schema.ts';

/** Known blobs and their links into repositories. */
export function blobIndex({ db, now }: SqlContext): BlobIndex {
  return {
    async touch(digest: Digest, size: number): Promise<void> {
      // An upsert, so that a concurrent unlinkedBlobs sweep either sees the fresh last_seen_at
      // (PostgreSQL re-checks the updated row) or has already deleted the row, which is re-inserted.
      await db
        .insertInto('blobs')
        .values({ digest, size, last_seen_at: now() })
        .onConflict((oc) => oc.column('digest').doUpdateSet((eb) => ({ last_seen_at: eb.ref('excluded.last_seen_at') })))
        .execute();
    },

    async size(digest: Digest): Promise<number | undefined> {
      const row = await db.selectFrom('blobs').select('size').where('digest', '=', digest).executeTakeFirst();
      return row?.size;
    },

    async link(repo: RepoName, digest: Digest): Promise<boolean> {
      try {
        return await db.transaction().execute(async (trx) => {
          const blob = await trx.selectFrom('blobs').select('digest').where('digest', '=', digest).executeTakeFirst();
          if (blob === undefined) return false;
          const at = now();
          await trx
            .insertInto('repository_blobs')
            .values({ repo, digest, last_used_at: at })
            .onConflict((oc) => oc.columns(['repo', 'digest']).doUpdateSet({ last_used_at: at }))
            .execute();
          await trx
            .insertInto('repositories')
            .values({ name: repo, created_at: at })
            .onConflict((oc) => oc.column('name').doNothing())
            .execute();
          return true;
        });
      } catch (err) {
        // A garbage sweep deleted the blob row between our check and the insert.
        if (isForeignKeyViolation(err)) return false;
        throw err;
      }
    },

    async linked(repo: RepoName, digest: Digest): Promise<{ size: number } | undefined> {
      const row = await db
        .selectFrom('repository_blobs as rb')
        .innerJoin('blobs as b', 'b.digest', 'rb.digest')
        .select('b.size')
        .where('rb.repo', '=', repo)
        .where('rb.digest', '=', digest)
        .executeTakeFirst();
      return row && { size: row.size };
    },

    async unlink(repo: RepoName, digest: Digest): Promise<boolean> {
      const result = await db
        .deleteFrom('repository_blobs')
        .where('repo', '=', repo)
        .where('digest', '=', digest)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async holders(digest: Digest, limit: number): Promise<RepoName[]> {
      const rows = await db
        .selectFrom('repository_blobs')
        .select('repo')
        .where('digest', '=', digest)
        .orderBy('repo')
        .limit(limit)
        .execute();
      return rows.map((row) => row.repo as RepoName);
    },
  };
}
