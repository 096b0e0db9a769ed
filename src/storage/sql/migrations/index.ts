import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { initialMigration } from './001-initial.ts';
import { trustMigration } from './002-trust.ts';
import { accessMigration } from './003-access.ts';
import { registrySettingsMigration } from './004-registry-settings.ts';
import { auditMigration } from './005-audit.ts';
import { attributesMigration } from './006-attributes.ts';
import { importOperationsMigration } from './007-import-operations.ts';
import { attributeIndexesMigration } from './008-attribute-indexes.ts';

/** Every migration, in code (no file-system discovery); names sort in the order they apply. */
export function migrationProvider(kind: SqlKind): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '001-initial': initialMigration(kind),
    '002-trust': trustMigration(kind),
    '003-access': accessMigration(kind),
    '004-registry-settings': registrySettingsMigration(kind),
    '005-audit': auditMigration(kind),
    '006-attributes': attributesMigration(kind),
    '007-import-operations': importOperationsMigration(kind),
    '008-attribute-indexes': attributeIndexesMigration(),
  };
  return { getMigrations: async () => migrations };
}

/**
 * Brings the schema to the latest version; Kysely's lock makes concurrent starts safe.
 * Throws the underlying error when a migration fails.
 */
export async function migrateToLatest(db: Kysely<any>, kind: SqlKind): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(kind) });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) throw error;
}
