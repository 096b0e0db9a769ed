import { sql } from 'kysely';
import type { RepoName } from '../../oci/names.ts';
import type { Page, RepositoryIndex } from '../metadata-store.ts';
import type { SqlContext } from './schema.ts';

/** Repository names, one row each, created by the first blob link or manifest; listEnabled off hides one from the list. */
export function repositoryIndex({ db }: SqlContext): RepositoryIndex {
  return {
    async list(page: Page): Promise<string[]> {
      const { last } = page;
      const rows = await db
        .selectFrom('repositories')
        .select('name')
        .where(sql<boolean>`list_enabled`)
        .$if(last !== undefined, (qb) => qb.where('name', '>', last ?? ''))
        .orderBy('name')
        .limit(page.limit)
        .execute();
      return rows.map((row) => row.name);
    },

    async exists(repo: RepoName): Promise<boolean> {
      const row = await db.selectFrom('repositories').select('name').where('name', '=', repo).executeTakeFirst();
      return row !== undefined;
    },
  };
}
