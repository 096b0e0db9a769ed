import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Partial indexes over the rows whose readEnabled or listEnabled is off, the same on both dialects.
 * Every node reloads the read-locked and list-hidden rows each second (AttributeIndex.restricted)
 * and a tag list leaves out tags whose manifest is list-hidden: with these indexes both cost what
 * there is locked or hidden, not what there is in the registry.
 */
const INDEXES = [
  { name: 'repositories_restricted', on: 'repositories (name)', where: 'not read_enabled or not list_enabled' },
  { name: 'tags_read_locked', on: 'tags (repo, tag)', where: 'not read_enabled' },
  { name: 'tags_list_hidden', on: 'tags (repo, tag)', where: 'not list_enabled' },
  { name: 'manifests_read_locked', on: 'manifests (repo, digest)', where: 'not read_enabled' },
  { name: 'manifests_list_hidden', on: 'manifests (repo, digest)', where: 'not list_enabled' },
] as const;

export function attributeIndexesMigration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      for (const index of INDEXES) {
        await sql`create index ${sql.raw(index.name)} on ${sql.raw(index.on)} where ${sql.raw(index.where)}`.execute(db);
      }
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const index of INDEXES) await db.schema.dropIndex(index.name).execute();
    },
  };
}
