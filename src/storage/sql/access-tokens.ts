import type { Selectable } from 'kysely';
import type { NewScopedToken, ScopedTokenRecord, ScopedTokenStore, TokenPassword } from '../metadata-store.ts';
import { bumpVersion, checkTokenName, conflict, nameKey, notFound, releaseLogin, reserveLogin, writeTx, type AccessContext } from './access-common.ts';
import type { AccessDb, AccessTx, ScopedTokenRow } from './access-schema.ts';
import { scopeMapRow } from './access-scope-maps.ts';

function password(hash: string | null, createdAt: number | null, expiresAt: number | null): TokenPassword | undefined {
  if (hash === null || createdAt === null) return undefined;
  return expiresAt === null ? { hash, createdAt } : { hash, createdAt, expiresAt };
}

function toToken(row: Selectable<ScopedTokenRow>): ScopedTokenRecord {
  const record: ScopedTokenRecord = {
    name: row.name,
    objectId: row.object_id,
    scopeMapName: row.scope_map,
    status: row.status,
    createdAt: row.created_at,
  };
  const p1 = password(row.password1_hash, row.password1_created_at, row.password1_expires_at);
  const p2 = password(row.password2_hash, row.password2_created_at, row.password2_expires_at);
  if (p1) record.password1 = p1;
  if (p2) record.password2 = p2;
  return record;
}

function slotColumns(slot: 'password1' | 'password2', p: TokenPassword | undefined) {
  const values = { hash: p?.hash ?? null, created_at: p?.createdAt ?? null, expires_at: p?.expiresAt ?? null };
  return slot === 'password1'
    ? { password1_hash: values.hash, password1_created_at: values.created_at, password1_expires_at: values.expires_at }
    : { password2_hash: values.hash, password2_created_at: values.created_at, password2_expires_at: values.expires_at };
}

const missingMap = (name: string) => notFound(`the scope map "${name}" does not exist`, { scopeMapName: name });

/** Scoped tokens: login name `name`, exactly one scope map, two hashed passwords with optional expiry. */
export function scopedTokenStore(ctx: AccessContext): ScopedTokenStore {
  const { adb, now } = ctx;
  const row = (db: AccessDb | AccessTx, name: string) =>
    db.selectFrom('scoped_tokens').selectAll().where('name_key', '=', nameKey(name)).executeTakeFirst();

  async function mapName(trx: AccessTx, name: string): Promise<string> {
    const map = await scopeMapRow(trx, name);
    if (!map) throw missingMap(name);
    return map.name;
  }

  async function change(name: string, fn: (trx: AccessTx, before: Selectable<ScopedTokenRow>) => Promise<void>) {
    return writeTx(ctx, async (trx) => {
      const before = await row(trx, name);
      if (!before) return undefined;
      await fn(trx, before);
      const after = await row(trx, name);
      return after && toToken(after);
    });
  }

  return {
    async create(token: NewScopedToken) {
      checkTokenName(token.name);
      return writeTx(
        ctx,
        async (trx) => {
          const map = await mapName(trx, token.scopeMapName);
          const taken = await trx.selectFrom('scoped_tokens').select('name').where('object_id', '=', token.objectId).executeTakeFirst();
          if (taken) throw conflict('a token with this objectId exists', { objectId: token.objectId });
          await reserveLogin(trx, token.name, 'token', token.objectId);
          await trx
            .insertInto('scoped_tokens')
            .values({
              object_id: token.objectId,
              name: token.name,
              name_key: nameKey(token.name),
              scope_map: map,
              status: token.status,
              created_at: now(),
              ...slotColumns('password1', token.password1),
              ...slotColumns('password2', token.password2),
            })
            .execute();
          const made = await row(trx, token.name);
          if (!made) throw new Error('token vanished within its transaction');
          return toToken(made);
        },
        () => missingMap(token.scopeMapName),
      );
    },

    async get(name) {
      const found = await row(adb, name);
      return found && toToken(found);
    },

    async list() {
      const rows = await adb.selectFrom('scoped_tokens').selectAll().orderBy('name').execute();
      return rows.map(toToken);
    },

    update: (name, c) =>
      change(name, async (trx, before) => {
        const set: Partial<{ scope_map: string; status: 'enabled' | 'disabled' }> = {};
        if (c.scopeMapName !== undefined) set.scope_map = await mapName(trx, c.scopeMapName);
        if (c.status !== undefined) set.status = c.status;
        if (Object.keys(set).length > 0) await trx.updateTable('scoped_tokens').set(set).where('object_id', '=', before.object_id).execute();
        if (c.status === 'disabled') await bumpVersion(trx, before.object_id);
      }),

    setPassword: (name, slot, p) =>
      change(name, async (trx, before) => {
        await trx.updateTable('scoped_tokens').set(slotColumns(slot, p)).where('object_id', '=', before.object_id).execute();
        await bumpVersion(trx, before.object_id);
      }),

    async delete(name) {
      return writeTx(ctx, async (trx) => {
        const before = await row(trx, name);
        if (!before) return false;
        await trx.deleteFrom('scoped_tokens').where('object_id', '=', before.object_id).execute();
        await releaseLogin(trx, 'token', before.object_id);
        await bumpVersion(trx, before.object_id);
        return true;
      });
    },
  };
}
