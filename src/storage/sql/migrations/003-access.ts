import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { columnTypes } from './column-types.ts';

const NULL_GUID = '00000000-0000-0000-0000-000000000000';
const CONTENT_RW = ['content/read', 'content/write'];

/**
 * System scope maps (shared/specs/access-and-policy.md 4): read-only, seeded here so that tokens
 * reference them like any other map. A migration keeps its own copy of the data it writes (the
 * contract suite checks it equals src/auth/scope-maps.ts SYSTEM_SCOPE_MAPS); changing them later
 * takes a new migration.
 */
export const SYSTEM_SCOPE_MAPS: readonly { name: string; description: string; actions: string[] }[] = [
  {
    name: '_repositories_admin',
    description: 'Can perform all read, write and delete operations on the registry',
    actions: [...CONTENT_RW, 'content/delete', 'metadata/read', 'metadata/write'],
  },
  { name: '_repositories_pull', description: 'Can pull any repository of the registry', actions: ['content/read'] },
  {
    name: '_repositories_pull_metadata_read',
    description: 'Can perform all read operations on the registry',
    actions: ['content/read', 'metadata/read'],
  },
  { name: '_repositories_push', description: 'Can push to any repository of the registry', actions: CONTENT_RW },
  {
    name: '_repositories_push_metadata_write',
    description: 'Can perform all read and write operations on the registry',
    actions: [...CONTENT_RW, 'metadata/read', 'metadata/write'],
  },
  {
    name: '_repositories_push_sign',
    description: 'Can push to and sign any repository of the registry',
    actions: [...CONTENT_RW, 'content/sign'],
  },
];

/**
 * Identities and access (access-and-policy.md 1.2, 1.4, 2, 3, 4). `login_names` is the one
 * namespace of Basic-auth user names across kinds: its primary key (the lower-cased name) is what
 * refuses colliding names, also between nodes. Text keys use the "C" collation on PostgreSQL and
 * flags are boolean there, 0/1 on SQLite, as in 002-trust.
 */
export function accessMigration(kind: SqlKind): Migration {
  const { key, int, bytes, flag } = columnTypes(kind);

  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('login_names')
        .addColumn('name_key', key, (c) => c.primaryKey())
        .addColumn('kind', sql`text`, (c) => c.notNull().check(sql`kind in ('reserved', 'admin', 'token', 'servicePrincipal', 'user')`))
        .addColumn('owner_id', key, (c) => c.notNull())
        .execute();
      await db.insertInto('login_names').values({ name_key: NULL_GUID, kind: 'reserved', owner_id: NULL_GUID }).execute();

      await db.schema
        .createTable('credential_versions')
        .addColumn('principal_id', key, (c) => c.primaryKey())
        .addColumn('version', int, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('object_id', key, (c) => c.primaryKey())
        .addColumn('user_principal_name', key, (c) => c.notNull())
        .addColumn('name_key', key, (c) => c.notNull().unique())
        .addColumn('display_name', sql`text`, (c) => c.notNull())
        .addColumn('password_hash', sql`text`, (c) => c.notNull())
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('created_at', int, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('service_principals')
        .addColumn('object_id', key, (c) => c.primaryKey())
        .addColumn('app_id', key, (c) => c.notNull())
        .addColumn('name_key', key, (c) => c.notNull().unique())
        .addColumn('display_name', key, (c) => c.notNull())
        .addColumn('names', sql`text`, (c) => c.notNull()) // JSON array of servicePrincipalNames
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('created_at', int, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('sp_passwords')
        .addColumn('key_id', key, (c) => c.primaryKey())
        .addColumn('object_id', key, (c) => c.notNull().references('service_principals.object_id').onDelete('cascade'))
        .addColumn('display_name', sql`text`, (c) => c.notNull())
        .addColumn('hash', sql`text`, (c) => c.notNull())
        .addColumn('hint', sql`text`, (c) => c.notNull())
        .addColumn('starts_at', int, (c) => c.notNull())
        .addColumn('ends_at', int, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sp_passwords_owner').on('sp_passwords').columns(['object_id', 'starts_at']).execute();

      // One row (id 1): Wharf serves one registry per installation.
      await db.schema
        .createTable('admin_account')
        .addColumn('id', int, (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('username', sql`text`, (c) => c.notNull())
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('sealed_password', bytes, (c) => c.notNull())
        .addColumn('sealed_password2', bytes, (c) => c.notNull())
        .addColumn('created_at', int, (c) => c.notNull())
        .addColumn('updated_at', int, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('scope_maps')
        .addColumn('name', key, (c) => c.primaryKey())
        .addColumn('name_key', key, (c) => c.notNull().unique())
        .addColumn('description', sql`text`, (c) => c.notNull())
        .addColumn('type', sql`text`, (c) => c.notNull().check(sql`type in ('SystemDefined', 'UserDefined')`))
        .addColumn('rules', sql`text`, (c) => c.notNull()) // JSON array of {pattern, actions}
        .addColumn('created_at', int, (c) => c.notNull())
        .execute();
      const seededAt = Date.now();
      await db
        .insertInto('scope_maps')
        .values(
          SYSTEM_SCOPE_MAPS.map((m) => ({
            name: m.name,
            name_key: m.name.toLowerCase(),
            description: m.description,
            type: 'SystemDefined',
            rules: JSON.stringify([{ pattern: '*', actions: m.actions }]),
            created_at: seededAt,
          })),
        )
        .execute();

      await db.schema
        .createTable('scoped_tokens')
        .addColumn('object_id', key, (c) => c.primaryKey())
        .addColumn('name', key, (c) => c.notNull())
        .addColumn('name_key', key, (c) => c.notNull().unique())
        .addColumn('scope_map', key, (c) => c.notNull().references('scope_maps.name'))
        .addColumn('status', sql`text`, (c) => c.notNull().check(sql`status in ('enabled', 'disabled')`))
        .addColumn('created_at', int, (c) => c.notNull())
        .addColumn('password1_hash', sql`text`)
        .addColumn('password1_created_at', int)
        .addColumn('password1_expires_at', int)
        .addColumn('password2_hash', sql`text`)
        .addColumn('password2_created_at', int)
        .addColumn('password2_expires_at', int)
        .execute();
      await db.schema.createIndex('scoped_tokens_scope_map').on('scoped_tokens').column('scope_map').execute();

      await db.schema
        .createTable('role_assignments')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('principal_id', key, (c) => c.notNull())
        .addColumn('principal_type', sql`text`, (c) => c.notNull().check(sql`principal_type in ('User', 'ServicePrincipal')`))
        .addColumn('role_definition_id', key, (c) => c.notNull())
        .addColumn('role_name', sql`text`, (c) => c.notNull())
        .addColumn('scope', key, (c) => c.notNull())
        .addColumn('created_by', sql`text`)
        .addColumn('created_at', int, (c) => c.notNull())
        .addUniqueConstraint('role_assignments_once', ['principal_id', 'role_definition_id', 'scope'])
        .execute();
      await db.schema.createIndex('role_assignments_scope').on('role_assignments').columns(['scope', 'created_at']).execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', key, (c) => c.primaryKey())
        .addColumn('alg', sql`text`, (c) => c.notNull().check(sql`alg in ('ES256', 'RS256')`))
        .addColumn('public_key', sql`text`, (c) => c.notNull())
        .addColumn('sealed_private', bytes, (c) => c.notNull())
        .addColumn('is_primary', flag, (c) => c.notNull())
        .addColumn('retired', flag, (c) => c.notNull())
        .addColumn('created_at', int, (c) => c.notNull())
        .execute();
      // At most one primary key: SigningKeyStore.primary inserts with ON CONFLICT DO NOTHING on this
      // index, repeating its predicate word for word (SQLite requires it; access-signing-keys.ts).
      await db.schema
        .createIndex('signing_keys_one_primary')
        .on('signing_keys')
        .column('is_primary')
        .unique()
        .where(sql<boolean>`is_primary`)
        .execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      const tables = ['signing_keys', 'role_assignments', 'scoped_tokens', 'scope_maps', 'admin_account', 'sp_passwords'];
      for (const table of [...tables, 'service_principals', 'users', 'credential_versions', 'login_names']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
