import type { Kysely, Selectable } from 'kysely';
import type { RegistrySettingsRecord, RegistrySettingsStore } from '../metadata-store.ts';
import { flag } from './access-common.ts';
import type { Database, Flag, SqlContext } from './schema.ts';

/** The 004-registry-settings table. */
export type SettingsTables = { registry_settings: RegistrySettingsRow };

export interface RegistrySettingsRow {
  id: number;
  installation_id: string;
  name: string;
  anonymous_pull: Flag;
  trust_policy: string | null;
  created_at: number;
  updated_at: number;
}

const ID = 1;

function toRecord(row: Selectable<RegistrySettingsRow>): RegistrySettingsRecord {
  return {
    installationId: row.installation_id,
    name: row.name,
    anonymousPullEnabled: Boolean(row.anonymous_pull),
    ...(row.trust_policy === null ? {} : { trustPolicy: row.trust_policy }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The one registry record; `ensure` inserts with ON CONFLICT DO NOTHING, so concurrent first starts agree. */
export function registrySettingsStore(ctx: SqlContext): RegistrySettingsStore {
  const db = ctx.db.withTables<SettingsTables>() as Kysely<Database & SettingsTables>;
  const get = async () => {
    const row = await db.selectFrom('registry_settings').selectAll().where('id', '=', ID).executeTakeFirst();
    return row && toRecord(row);
  };
  return {
    get,

    async ensure(initial) {
      const at = ctx.now();
      await db
        .insertInto('registry_settings')
        .values({
          id: ID,
          installation_id: initial.installationId,
          name: initial.name,
          anonymous_pull: flag(initial.anonymousPullEnabled),
          trust_policy: null,
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const record = await get();
      if (!record) throw new Error('registry settings vanished after their insert');
      return record;
    },

    async update(change) {
      const set: Partial<{ anonymous_pull: 0 | 1; trust_policy: string }> = {};
      if (change.anonymousPullEnabled !== undefined) set.anonymous_pull = flag(change.anonymousPullEnabled);
      if (change.trustPolicy !== undefined) set.trust_policy = change.trustPolicy;
      await db.updateTable('registry_settings').set({ ...set, updated_at: ctx.now() }).where('id', '=', ID).execute();
      return get();
    },
  };
}
