import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Digest } from '../../oci/digest.ts';
import type { RepoName } from '../../oci/names.ts';
import type { GarbageIndex } from '../metadata-store.ts';
import { isForeignKeyViolation } from './errors.ts';
import type { BlobRow, Database, ManifestRow, RepositoryBlobRow, SqlContext } from './schema.ts';

type RepoDigest = { repo: RepoName; digest: Digest };

/*
 * Each sweep is one statement whose WHERE clause is evaluated as rows are deleted. On PostgreSQL a
 * row that a concurrent writer updated (touch, link, manifests.put) is re-checked against its new
 * version, whose fresh timestamp no longer qualifies; SQLite runs everything on one connection.
 */

function orphanReferrer(before: number) {
  return (eb: ExpressionBuilder<Database & { m: ManifestRow }, 'm'>): Expression<SqlBool> =>
    eb.and([
      eb('m.subject', 'is not', null),
      eb('m.created_at', '<', before),
      eb.not(eb.exists(eb.selectFrom('manifests as s').select('s.digest').whereRef('s.repo', '=', 'm.repo').whereRef('s.digest', '=', 'm.subject'))),
      eb.not(eb.exists(eb.selectFrom('tags as t').select('t.tag').whereRef('t.repo', '=', 'm.repo').whereRef('t.digest', '=', 'm.digest'))),
      // An index that lists the referrer keeps it: deleting it would break the index.
      eb.not(eb.exists(eb.selectFrom('manifest_refs as r').select('r.child').whereRef('r.repo', '=', 'm.repo').whereRef('r.child', '=', 'm.digest'))),
    ]);
}

function unusedLink(before: number) {
  return (eb: ExpressionBuilder<Database & { rb: RepositoryBlobRow }, 'rb'>): Expression<SqlBool> =>
    eb.and([
      eb('rb.last_used_at', '<', before),
      eb.not(eb.exists(eb.selectFrom('manifest_refs as r').select('r.child').whereRef('r.repo', '=', 'rb.repo').whereRef('r.child', '=', 'rb.digest'))),
    ]);
}

function unlinkedBlob(before: number) {
  return (eb: ExpressionBuilder<Database & { b: BlobRow }, 'b'>): Expression<SqlBool> =>
    eb.and([
      eb('b.last_seen_at', '<', before),
      eb.not(eb.exists(eb.selectFrom('repository_blobs as rb').select('rb.digest').whereRef('rb.digest', '=', 'b.digest'))),
    ]);
}

function byRepoThenDigest(a: { repo: string; digest: string }, b: { repo: string; digest: string }): number {
  if (a.repo !== b.repo) return a.repo < b.repo ? -1 : 1;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

function asRepoDigests(rows: { repo: string; digest: string }[]): RepoDigest[] {
  return rows.map((row) => ({ repo: row.repo as RepoName, digest: row.digest as Digest })).sort(byRepoThenDigest);
}

/** What garbage collection may remove, found and deleted by the same conditions. */
export function garbageIndex({ db }: SqlContext): GarbageIndex {
  const unlinkedBlobDigests = async (before: number): Promise<Digest[]> => {
    const rows = await db.selectFrom('blobs as b').select('b.digest').where(unlinkedBlob(before)).orderBy('b.digest').execute();
    return rows.map((row) => row.digest as Digest);
  };

  return {
    async orphanReferrers(before: number, apply: boolean): Promise<RepoDigest[]> {
      const rows = apply
        ? await db.deleteFrom('manifests as m').where(orphanReferrer(before)).returning(['repo', 'digest']).execute()
        : await db.selectFrom('manifests as m').select(['m.repo', 'm.digest']).where(orphanReferrer(before)).execute();
      return asRepoDigests(rows);
    },

    async unusedLinks(before: number, apply: boolean): Promise<RepoDigest[]> {
      const rows = apply
        ? await db.deleteFrom('repository_blobs as rb').where(unusedLink(before)).returning(['repo', 'digest']).execute()
        : await db.selectFrom('repository_blobs as rb').select(['rb.repo', 'rb.digest']).where(unusedLink(before)).execute();
      return asRepoDigests(rows);
    },

    async unlinkedBlobs(before: number, apply: boolean): Promise<Digest[]> {
      if (!apply) return unlinkedBlobDigests(before);
      try {
        const rows = await db.deleteFrom('blobs as b').where(unlinkedBlob(before)).returning('digest').execute();
        return rows.map((row) => row.digest as Digest).sort();
      } catch (err) {
        // A concurrent link committed while we waited for its row lock: PostgreSQL's foreign key
        // check fails the whole statement. Go one by one and leave the linked blobs alone.
        if (!isForeignKeyViolation(err)) throw err;
      }
      const deleted: Digest[] = [];
      for (const digest of await unlinkedBlobDigests(before)) {
        try {
          const row = await db
            .deleteFrom('blobs as b')
            .where('b.digest', '=', digest)
            .where(unlinkedBlob(before))
            .returning('digest')
            .executeTakeFirst();
          if (row !== undefined) deleted.push(digest);
        } catch (err) {
          if (!isForeignKeyViolation(err)) throw err;
        }
      }
      return deleted;
    },

    async isKnown(digest: Digest): Promise<boolean> {
      const row = await db.selectFrom('blobs').select('digest').where('digest', '=', digest).executeTakeFirst();
      return row !== undefined;
    },
  };
}
