import { sql, type SelectQueryBuilder } from 'kysely';
import type { Digest } from '../../oci/digest.ts';
import type { RepoName, Tag } from '../../oci/names.ts';
import type { Page, TagIndex } from '../metadata-store.ts';
import { preparedQuery } from './prepared.ts';
import type { Database, SqlContext } from './schema.ts';

/**
 * Leaves out what listEnabled hides from tag listings: a tag with it off, or pointing at a manifest
 * with it off. Uncorrelated subqueries over migration 008's partial indexes: while nothing is hidden
 * the tags' index alone answers, and reading a manifest row (its bytes) per tag is never needed.
 */
export function listedTags(repo: RepoName) {
  return <O>(qb: SelectQueryBuilder<Database, 'tags', O>): SelectQueryBuilder<Database, 'tags', O> => qb.where(sql<boolean>`(
    tags.tag not in (select h.tag from tags h where h.repo = ${repo} and not h.list_enabled)
    and (not exists (select 1 from manifests h where h.repo = ${repo} and not h.list_enabled)
      or tags.digest not in (select h.digest from manifests h where h.repo = ${repo} and not h.list_enabled)))`);
}

/** Tags; each points at a manifest of its repository (the foreign key cascades on manifest delete). */
export function tagIndex({ db, kind }: SqlContext): TagIndex {
  const resolveTag = preparedQuery(db, db.selectFrom('tags').select('digest').where('repo', '=', '').where('tag', '=', ''));
  // Whether anything of a repository is list-hidden (two probes of migration 008's partial indexes):
  // while nothing is, a tag list skips the filter, whose per-row checks cost a third of a 10k-tag list.
  const listHiddenProbe = preparedQuery(db, db.selectNoFrom((eb) => [
    eb.or([
      eb.exists(eb.selectFrom('tags').select(sql`1`.as('one')).where('repo', '=', '').where(sql<boolean>`not list_enabled`)),
      eb.exists(eb.selectFrom('manifests').select(sql`1`.as('one')).where('repo', '=', '').where(sql<boolean>`not list_enabled`)),
    ]).as('hidden'),
  ]));
  const anyListHidden = async (repo: RepoName) => Boolean((await listHiddenProbe(repo, repo))[0]?.hidden);
  return {
    async resolve(repo: RepoName, tag: Tag): Promise<Digest | undefined> {
      const [row] = await resolveTag(repo, tag);
      return row?.digest as Digest | undefined;
    },

    async list(repo: RepoName, page: Page): Promise<string[] | undefined> {
      const { last } = page;
      const filtered = await anyListHidden(repo);
      // The database builds the page as one JSON array: a repository with 10k tags otherwise costs
      // 10k row objects, which is most of the time of a whole-list request.
      const names = db
        .selectFrom('tags')
        .select('tag')
        .where('repo', '=', repo)
        .$if(filtered, listedTags(repo))
        .$if(last !== undefined, (qb) => qb.where('tag', '>', last ?? ''))
        .orderBy('tag')
        .limit(page.limit)
        .as('page');
      const aggregate = kind === 'postgres' ? sql<string>`json_agg(tag order by tag)::text` : sql<string>`json_group_array(tag order by tag)`;
      const row = await db.selectFrom(names).select(aggregate.as('tags')).executeTakeFirst();
      const tags = row?.tags ? (JSON.parse(row.tags) as string[] | null) : null;
      if (tags && tags.length > 0) return tags;
      const known = await db.selectFrom('repositories').select('name').where('name', '=', repo).executeTakeFirst();
      return known === undefined ? undefined : [];
    },

    async delete(repo: RepoName, tag: Tag): Promise<boolean> {
      const result = await db.deleteFrom('tags').where('repo', '=', repo).where('tag', '=', tag).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
