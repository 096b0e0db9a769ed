import type { Digest } from '../../oci/digest.ts';
import type { RepoName, Tag } from '../../oci/names.ts';
import type { Page, TagIndex } from '../metadata-store.ts';
import { preparedQuery } from './prepared.ts';
import type { SqlContext } from './schema.ts';

/** Tags; each points at a manifest of its repository (the foreign key cascades on manifest delete). */
export function tagIndex({ db }: SqlContext): TagIndex {
  const resolveTag = preparedQuery(db, db.selectFrom('tags').select('digest').where('repo', '=', '').where('tag', '=', ''));
  return {
    async resolve(repo: RepoName, tag: Tag): Promise<Digest | undefined> {
      const [row] = await resolveTag(repo, tag);
      return row?.digest as Digest | undefined;
    },

    async list(repo: RepoName, page: Page): Promise<string[] | undefined> {
      const { last } = page;
      const rows = await db
        .selectFrom('tags')
        .select('tag')
        .where('repo', '=', repo)
        .$if(last !== undefined, (qb) => qb.where('tag', '>', last ?? ''))
        .orderBy('tag')
        .limit(page.limit)
        .execute();
      if (rows.length > 0) return rows.map((row) => row.tag);
      const known = await db.selectFrom('repositories').select('name').where('name', '=', repo).executeTakeFirst();
      return known === undefined ? undefined : [];
    },

    async delete(repo: RepoName, tag: Tag): Promise<boolean> {
      const result = await db.deleteFrom('tags').where('repo', '=', repo).where('tag', '=', tag).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
