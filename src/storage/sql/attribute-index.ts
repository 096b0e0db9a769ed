import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Digest } from '../../oci/digest.ts';
import type { RepoName, Tag } from '../../oci/names.ts';
import type {
  AttributeIndex, AttributeTarget, ChangeableAttributes, DetailPage, Lock, ManifestDetail, RepositoryDetail, Restriction, TagDetail,
} from '../metadata-store.ts';
import { listedTags } from './tag-index.ts';
import type { Database, SqlContext } from './schema.ts';

type FlagValue = boolean | number;
interface FlagColumns {
  delete_enabled: FlagValue;
  write_enabled: FlagValue;
  read_enabled: FlagValue;
  list_enabled: FlagValue;
}

const FLAGS = ['delete_enabled', 'write_enabled', 'read_enabled', 'list_enabled'] as const;
const COLUMN_OF: Record<keyof ChangeableAttributes, (typeof FLAGS)[number]> = {
  deleteEnabled: 'delete_enabled', writeEnabled: 'write_enabled', readEnabled: 'read_enabled', listEnabled: 'list_enabled',
};

function attributesOf(row: FlagColumns): ChangeableAttributes {
  return {
    deleteEnabled: Boolean(row.delete_enabled),
    writeEnabled: Boolean(row.write_enabled),
    readEnabled: Boolean(row.read_enabled),
    listEnabled: Boolean(row.list_enabled),
  };
}

/** /acr/v1 details and changeable attributes, counted and summed by the database. */
export function attributeIndex(ctx: SqlContext): AttributeIndex {
  const { db, kind } = ctx;
  // PostgreSQL's sum over bigint is numeric (a string to pg); cast back to the int8 the pool parses.
  const int = (expr: RawBuilder<unknown>) => sql<number>`cast(${expr} as ${sql.raw(kind === 'postgres' ? 'bigint' : 'integer')})`;

  async function repositoryExists(repo: RepoName): Promise<boolean> {
    return (await db.selectFrom('repositories').select('name').where('name', '=', repo).executeTakeFirst()) !== undefined;
  }

  return {
    async repository(repo: RepoName): Promise<RepositoryDetail | undefined> {
      const row = await db
        .selectFrom('repositories as r')
        .select(['r.created_at', ...FLAGS.map((f) => `r.${f}` as const)])
        .select([
          sql<number>`(select count(*) from manifests m where m.repo = r.name)`.as('manifest_count'),
          sql<number>`(select count(*) from tags t where t.repo = r.name)`.as('tag_count'),
          sql<number | null>`(select max(m.created_at) from manifests m where m.repo = r.name)`.as('pushed_at'),
          sql<number | null>`(select max(t.updated_at) from tags t where t.repo = r.name)`.as('tagged_at'),
          int(sql`(select coalesce(sum(b.size), 0) from repository_blobs rb join blobs b on b.digest = rb.digest where rb.repo = r.name)
            + (select coalesce(sum(m.size), 0) from manifests m where m.repo = r.name)`).as('size'),
        ])
        .where('r.name', '=', repo)
        .executeTakeFirst();
      if (!row) return undefined;
      return {
        name: repo,
        createdAt: row.created_at,
        updatedAt: Math.max(row.created_at, Number(row.pushed_at ?? 0), Number(row.tagged_at ?? 0)),
        manifestCount: Number(row.manifest_count),
        tagCount: Number(row.tag_count),
        size: Number(row.size),
        attributes: attributesOf(row),
      };
    },

    async tags(repo: RepoName, page: DetailPage): Promise<TagDetail[] | undefined> {
      const rows = await tagQuery(db, repo)
        .$if(page.listedOnly === true, listedTags(repo))
        .$if(page.order === 'name' && page.last !== undefined, (qb) => qb.where('tag', '>', page.last ?? ''))
        .$if(page.order === 'name', (qb) => qb.orderBy('tag'))
        .$if(page.order !== 'name', (qb) => qb.orderBy('updated_at', page.order === 'timeAsc' ? 'asc' : 'desc').orderBy('tag'))
        .limit(page.limit)
        .execute();
      if (rows.length === 0 && !(await repositoryExists(repo))) return undefined;
      return rows.map(tagDetail);
    },

    async tag(repo: RepoName, tag: Tag): Promise<TagDetail | undefined> {
      const row = await tagQuery(db, repo).where('tag', '=', tag).executeTakeFirst();
      return row && tagDetail(row);
    },

    async manifests(repo: RepoName, page: DetailPage): Promise<ManifestDetail[] | undefined> {
      const rows = await manifestQuery(db, repo)
        .$if(page.listedOnly === true, (qb) => qb.where(sql<boolean>`list_enabled`))
        .$if(page.order === 'name' && page.last !== undefined, (qb) => qb.where('digest', '>', page.last ?? ''))
        .$if(page.order === 'name', (qb) => qb.orderBy('digest'))
        .$if(page.order !== 'name', (qb) => qb.orderBy('created_at', page.order === 'timeAsc' ? 'asc' : 'desc').orderBy('digest'))
        .limit(page.limit)
        .execute();
      if (rows.length === 0) return (await repositoryExists(repo)) ? [] : undefined;
      return withTagsAndSizes(db, int, repo, rows);
    },

    async manifest(repo: RepoName, digest: Digest): Promise<ManifestDetail | undefined> {
      const row = await manifestQuery(db, repo).where('digest', '=', digest).executeTakeFirst();
      return row && (await withTagsAndSizes(db, int, repo, [row]))[0];
    },

    async update(target: AttributeTarget, change: Partial<ChangeableAttributes>): Promise<boolean> {
      const set: Partial<Record<(typeof FLAGS)[number], 0 | 1>> = {};
      for (const [name, value] of Object.entries(change) as [keyof ChangeableAttributes, boolean | undefined][]) {
        if (value !== undefined) set[COLUMN_OF[name]] = value ? 1 : 0;
      }
      if (Object.keys(set).length === 0) return (await exists(db, target));
      const result = target.kind === 'repository'
        ? await db.updateTable('repositories').set(set).where('name', '=', target.repo).executeTakeFirst()
        : target.kind === 'tag'
          ? await db.updateTable('tags').set(set).where('repo', '=', target.repo).where('tag', '=', target.tag).executeTakeFirst()
          : await db.updateTable('manifests').set(set).where('repo', '=', target.repo).where('digest', '=', target.digest).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    locks: (repo, on) => locks(db, repo, on),

    restricted: () => restricted(db),

    async deleteRepository(repo: RepoName): Promise<{ manifests: Digest[]; tags: Tag[] } | undefined> {
      return db.transaction().execute(async (trx) => {
        const found = await trx.deleteFrom('repositories').where('name', '=', repo).returning('name').executeTakeFirst();
        if (!found) return undefined;
        const tags = await trx.selectFrom('tags').select('tag').where('repo', '=', repo).orderBy('tag').execute();
        // Tags and manifest_refs go with their manifests (ON DELETE CASCADE).
        const manifests = await trx.deleteFrom('manifests').where('repo', '=', repo).returning('digest').execute();
        await trx.deleteFrom('repository_blobs').where('repo', '=', repo).execute();
        return { manifests: manifests.map((m) => m.digest as Digest).sort(), tags: tags.map((t) => t.tag as Tag) };
      });
    },
  };
}

function tagQuery(db: Kysely<Database>, repo: RepoName) {
  return db.selectFrom('tags').select(['tag', 'digest', 'created_at', 'updated_at', ...FLAGS]).where('repo', '=', repo);
}

type TagQueryRow = { tag: string; digest: string; created_at: number | null; updated_at: number } & FlagColumns;

function tagDetail(row: TagQueryRow): TagDetail {
  return {
    name: row.tag as Tag,
    digest: row.digest as Digest,
    createdAt: row.created_at ?? row.updated_at,
    updatedAt: row.updated_at,
    attributes: attributesOf(row),
  };
}

function manifestQuery(db: Kysely<Database>, repo: RepoName) {
  return db
    .selectFrom('manifests')
    .select(['digest', 'media_type', 'size', 'created_at', 'subject', 'artifact_type', ...FLAGS])
    .where('repo', '=', repo);
}

type ManifestQueryRow = {
  digest: string; media_type: string; size: number; created_at: number; subject: string | null; artifact_type: string | null;
} & FlagColumns;

/** Two more statements for the whole page: the tags of its manifests and the sizes of their blobs. */
async function withTagsAndSizes(
  db: Kysely<Database>, int: (expr: RawBuilder<unknown>) => RawBuilder<number>, repo: RepoName, rows: ManifestQueryRow[],
): Promise<ManifestDetail[]> {
  const digests = rows.map((r) => r.digest);
  const [tagRows, sizeRows] = await Promise.all([
    db.selectFrom('tags').select(['digest', 'tag']).where('repo', '=', repo).where('digest', 'in', digests).orderBy('tag').execute(),
    db
      .selectFrom('manifest_refs as mr')
      .innerJoin('blobs as b', 'b.digest', 'mr.child')
      .select(['mr.manifest_digest', int(sql`sum(b.size)`).as('size')])
      .where('mr.repo', '=', repo)
      .where('mr.kind', '=', 'blob')
      .where('mr.manifest_digest', 'in', digests)
      .groupBy('mr.manifest_digest')
      .execute(),
  ]);
  const tagsOf = new Map<string, Tag[]>();
  for (const t of tagRows) tagsOf.set(t.digest, [...(tagsOf.get(t.digest) ?? []), t.tag as Tag]);
  const blobBytes = new Map(sizeRows.map((s) => [s.manifest_digest, Number(s.size)]));
  return rows.map((row) => ({
    digest: row.digest as Digest,
    mediaType: row.media_type,
    size: row.size + (blobBytes.get(row.digest) ?? 0),
    createdAt: row.created_at,
    tags: tagsOf.get(row.digest) ?? [],
    ...(row.subject !== null && { subject: row.subject as Digest }),
    ...(row.artifact_type !== null && { artifactType: row.artifact_type }),
    attributes: attributesOf(row),
  }));
}

async function exists(db: Kysely<Database>, target: AttributeTarget): Promise<boolean> {
  const row = target.kind === 'repository'
    ? await db.selectFrom('repositories').select('name').where('name', '=', target.repo).executeTakeFirst()
    : target.kind === 'tag'
      ? await db.selectFrom('tags').select('tag').where('repo', '=', target.repo).where('tag', '=', target.tag).executeTakeFirst()
      : await db.selectFrom('manifests').select('digest').where('repo', '=', target.repo).where('digest', '=', target.digest).executeTakeFirst();
  return row !== undefined;
}

/** One UNION ALL over the candidates, keeping only rows with a lock; `ref` is '' for the repository. */
async function locks(
  db: Kysely<Database>, repo: RepoName, on: { tag?: Tag; digests?: readonly Digest[]; tagsOf?: readonly Digest[]; all?: boolean },
): Promise<Lock[]> {
  const locked = sql<boolean>`(not write_enabled or not delete_enabled)`;
  const repoRows = db.selectFrom('repositories')
    .select([sql<string>`'repository'`.as('kind'), sql<string>`''`.as('ref'), 'write_enabled', 'delete_enabled'])
    .where('name', '=', repo).where(locked);
  const tagRows = db.selectFrom('tags')
    .select([sql<string>`'tag'`.as('kind'), 'tag as ref', 'write_enabled', 'delete_enabled'])
    .where('repo', '=', repo).where(locked);
  const manifestRows = db.selectFrom('manifests')
    .select([sql<string>`'manifest'`.as('kind'), 'digest as ref', 'write_enabled', 'delete_enabled'])
    .where('repo', '=', repo).where(locked);

  let query = repoRows;
  if (on.all) {
    query = query.unionAll(tagRows).unionAll(manifestRows);
  } else {
    if (on.tag !== undefined) {
      const tag = on.tag;
      query = query
        .unionAll(tagRows.where('tag', '=', tag))
        .unionAll(manifestRows.where('digest', 'in', db.selectFrom('tags').select('digest').where('repo', '=', repo).where('tag', '=', tag)));
    }
    if (on.digests?.length) query = query.unionAll(manifestRows.where('digest', 'in', [...on.digests]));
    if (on.tagsOf?.length) query = query.unionAll(tagRows.where('digest', 'in', [...on.tagsOf]));
  }
  const seen = new Set<string>();
  const out: Lock[] = [];
  for (const row of await query.execute()) {
    const key = `${row.kind}:${row.ref}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const flags = { writeEnabled: Boolean(row.write_enabled), deleteEnabled: Boolean(row.delete_enabled) };
    if (row.kind === 'repository') out.push({ kind: 'repository', repo, ...flags });
    else if (row.kind === 'tag') out.push({ kind: 'tag', repo, tag: row.ref as Tag, ...flags });
    else out.push({ kind: 'manifest', repo, digest: row.ref as Digest, ...flags });
  }
  return out;
}

/**
 * One UNION ALL whose parts each read a partial index of migration 008 (the tags and manifests parts
 * are split so that each has the index's condition; the second leaves out rows the first returned).
 */
async function restricted(db: Kysely<Database>): Promise<Restriction[]> {
  const flags = ['read_enabled', 'list_enabled'] as const;
  const readLocked = sql<boolean>`not read_enabled`;
  const listHiddenOnly = sql<boolean>`not list_enabled and read_enabled`;
  const tagRows = db.selectFrom('tags').select([sql<string>`'tag'`.as('kind'), 'repo', 'tag as ref', ...flags]);
  const manifestRows = db.selectFrom('manifests').select([sql<string>`'manifest'`.as('kind'), 'repo', 'digest as ref', ...flags]);
  const rows = await db.selectFrom('repositories')
    .select([sql<string>`'repository'`.as('kind'), 'name as repo', sql<string>`''`.as('ref'), ...flags])
    .where(sql<boolean>`not read_enabled or not list_enabled`)
    .unionAll(tagRows.where(readLocked))
    .unionAll(tagRows.where(listHiddenOnly))
    .unionAll(manifestRows.where(readLocked))
    .unionAll(manifestRows.where(listHiddenOnly))
    .execute();
  return rows.map((row) => {
    const repo = row.repo as RepoName;
    const flagsOf = { readEnabled: Boolean(row.read_enabled), listEnabled: Boolean(row.list_enabled) };
    if (row.kind === 'repository') return { kind: 'repository', repo, ...flagsOf };
    if (row.kind === 'tag') return { kind: 'tag', repo, tag: row.ref as Tag, ...flagsOf };
    return { kind: 'manifest', repo, digest: row.ref as Digest, ...flagsOf };
  });
}
