import type { Selectable } from 'kysely';
import type { ScopeMapRecord, ScopeMapRuleRecord, ScopeMapStore } from '../metadata-store.ts';
import { conflict, invalid, nameKey, writeTx, type AccessContext } from './access-common.ts';
import type { AccessDb, AccessTx, ScopeMapRow } from './access-schema.ts';

// Room for `<token name>-scope-map` (a 50-character token name plus 10), as `token create` makes.
const SCOPE_MAP_NAME = /^[A-Za-z0-9-][A-Za-z0-9_-]{4,59}$/;
const MAX_DESCRIPTION = 256;

function toScopeMap(row: Selectable<ScopeMapRow>): ScopeMapRecord {
  return {
    name: row.name,
    description: row.description,
    type: row.type,
    rules: JSON.parse(row.rules) as ScopeMapRuleRecord[],
    createdAt: row.created_at,
  };
}

function checkDescription(description: string): void {
  if (description.length > MAX_DESCRIPTION) throw invalid(`a scope map description has at most ${MAX_DESCRIPTION} characters`);
}

/** Keeps only the fields of a rule, so that stray properties are not stored. */
function rulesText(rules: readonly ScopeMapRuleRecord[]): string {
  return JSON.stringify(rules.map((r) => ({ pattern: r.pattern, actions: [...r.actions] })));
}

export async function scopeMapRow(db: AccessDb | AccessTx, name: string): Promise<Selectable<ScopeMapRow> | undefined> {
  return db.selectFrom('scope_maps').selectAll().where('name_key', '=', nameKey(name)).executeTakeFirst();
}

/** Scope maps; the system ones are rows seeded by 003-access and refused to every write here. */
export function scopeMapStore(ctx: AccessContext): ScopeMapStore {
  const { adb, now } = ctx;

  async function writable(trx: AccessTx, name: string): Promise<Selectable<ScopeMapRow> | undefined> {
    const row = await scopeMapRow(trx, name);
    if (row?.type === 'SystemDefined') throw invalid('system-defined scope maps are read-only', { name: row.name });
    return row;
  }

  return {
    async create(map) {
      if (!SCOPE_MAP_NAME.test(map.name)) {
        throw invalid('a scope map name has 5 to 60 letters, digits, hyphens and underscores and does not start with "_"', { name: map.name });
      }
      checkDescription(map.description);
      const row = {
        name: map.name,
        name_key: nameKey(map.name),
        description: map.description,
        type: 'UserDefined' as const,
        rules: rulesText(map.rules),
        created_at: now(),
      };
      await writeTx(ctx, async (trx) => {
        if (await scopeMapRow(trx, map.name)) throw conflict(`the scope map "${map.name}" exists`, { name: map.name });
        await trx.insertInto('scope_maps').values(row).execute();
      });
      return toScopeMap(row);
    },

    async get(name) {
      const row = await scopeMapRow(adb, name);
      return row && toScopeMap(row);
    },

    async list() {
      const rows = await adb.selectFrom('scope_maps').selectAll().orderBy('name').execute();
      return rows.map(toScopeMap);
    },

    async update(name, change) {
      if (change.description !== undefined) checkDescription(change.description);
      return writeTx(ctx, async (trx) => {
        const row = await writable(trx, name);
        if (!row) return undefined;
        const set: Partial<{ description: string; rules: string }> = {};
        if (change.description !== undefined) set.description = change.description;
        if (change.rules !== undefined) set.rules = rulesText(change.rules);
        if (Object.keys(set).length > 0) await trx.updateTable('scope_maps').set(set).where('name', '=', row.name).execute();
        const after = await scopeMapRow(trx, name);
        return after && toScopeMap(after);
      });
    },

    async delete(name) {
      const inUse = () => conflict('the scope map is used by a token', { name });
      return writeTx(
        ctx,
        async (trx) => {
          const row = await writable(trx, name);
          if (!row) return false;
          const user = await trx.selectFrom('scoped_tokens').select('name').where('scope_map', '=', row.name).executeTakeFirst();
          if (user) throw conflict(`the scope map is used by the token "${user.name}"`, { name: row.name, token: user.name });
          await trx.deleteFrom('scope_maps').where('name', '=', row.name).execute();
          return true;
        },
        inUse,
      );
    },
  };
}
