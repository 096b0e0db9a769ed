import { createHash } from 'node:crypto';
import { CompiledQuery, type Selectable, type Transaction } from 'kysely';
import { WharfError } from '../../errors/wharf-error.ts';
import type { Gun, NewTrustDoc, TrustChange, TrustDoc, TufRole } from '../../trust/types.ts';
import type { TrustDocs } from '../metadata-store.ts';
import { isUniqueViolation } from './errors.ts';
import { lockGun } from './gun-lock.ts';
import { preparedQuery } from './prepared.ts';
import type { Database, SqlContext, TrustChangeRow } from './schema.ts';

/**
 * Changefeed page size when a caller asks for `records` 0. The reference applies it in its HTTP
 * handler (spec section 9: "records=0 means the default of 100"); here it is part of the store's
 * contract so that every caller (route, CLI, mirroring tools) gets the same answer.
 */
export const DEFAULT_CHANGE_RECORDS = 100;

type DocColumns = { version: number; sha256: string; content: Buffer; created_at: number };

function toDoc(role: TufRole, row: DocColumns): TrustDoc {
  return { role, version: row.version, sha256Hex: row.sha256, bytes: row.content, createdAt: row.created_at };
}

function toChange(row: Selectable<TrustChangeRow>): TrustChange {
  return {
    id: row.id,
    gun: row.gun as Gun,
    version: row.version,
    sha256Hex: row.sha256,
    category: row.category,
    createdAt: row.created_at,
  };
}

/**
 * TUF documents per GUN and the changefeed. Every write to one GUN (putMany, deleteGun) first takes
 * the GUN's lock (gun-lock.ts), so writers on all nodes run one after the other and the version
 * check inside the transaction sees what the previous writer committed; the primary key
 * (gun, role, version) still turns any duplicate version into TRUST_VERSION.
 */
export function trustDocs(ctx: SqlContext): TrustDocs {
  const { db, now } = ctx;
  const columns = ['version', 'sha256', 'content', 'created_at'] as const;
  const latestDoc = preparedQuery(
    db,
    db.selectFrom('trust_docs').select(columns).where('gun', '=', '').where('role', '=', '').orderBy('version', 'desc').limit(1),
  );
  const docByVersion = preparedQuery(
    db,
    db.selectFrom('trust_docs').select(columns).where('gun', '=', '').where('role', '=', '').where('version', '=', 0),
  );
  // Compiled once: every publish runs it inside its transaction.
  const highestVersionsSql = db
    .selectFrom('trust_docs')
    .select(['role', (eb) => eb.fn.max('version').as('version')])
    .where('gun', '=', '')
    .groupBy('role')
    .compile().sql;
  const docByChecksum = preparedQuery(
    db,
    db.selectFrom('trust_docs').select(columns).where('gun', '=', '').where('role', '=', '').where('sha256', '=', '').limit(1),
  );

  return {
    async putMany(gun: Gun, docs: readonly NewTrustDoc[]): Promise<void> {
      checkDocs(docs);
      if (docs.length === 0) return;
      try {
        await db.transaction().execute(async (trx) => {
          await lockGun(ctx, trx, gun);
          await checkVersions(trx, highestVersionsSql, gun, docs);
          await writeDocs(ctx, trx, gun, docs, now());
        });
      } catch (err) {
        // Another writer stored one of these versions first (or the batch repeats a role version).
        if (isUniqueViolation(err)) throw new WharfError('TRUST_VERSION', undefined, { cause: err, detail: {} });
        throw err;
      }
    },

    async latest(gun: Gun, role: TufRole): Promise<TrustDoc | undefined> {
      const [row] = await latestDoc(gun, role, 1);
      return row && toDoc(role, row);
    },

    async byVersion(gun: Gun, role: TufRole, version: number): Promise<TrustDoc | undefined> {
      if (!Number.isSafeInteger(version)) return undefined;
      const [row] = await docByVersion(gun, role, version);
      return row && toDoc(role, row);
    },

    async byChecksum(gun: Gun, role: TufRole, sha256Hex: string): Promise<TrustDoc | undefined> {
      const [row] = await docByChecksum(gun, role, sha256Hex, 1);
      return row && toDoc(role, row);
    },

    async deleteGun(gun: Gun): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await lockGun(ctx, trx, gun);
        const result = await trx.deleteFrom('trust_docs').where('gun', '=', gun).executeTakeFirst();
        if (result.numDeletedRows === 0n) return false;
        // Spec section 9: deletion records carry version 0 and an empty hash.
        await trx.insertInto('trust_changes').values({ gun, version: 0, sha256: '', category: 'deletion', created_at: now() }).execute();
        return true;
      });
    },

    async changes(query: { gun?: Gun; changeId: number; records: number }): Promise<TrustChange[]> {
      const { gun, changeId, records } = query;
      const limit = Math.abs(records) || DEFAULT_CHANGE_RECORDS;
      // As the reference (notary server/storage sqldb.go GetChanges): a negative records or
      // change id reads backwards, from change_id, or from the newest when change_id is negative.
      const isBackward = records < 0 || changeId < 0;
      const rows = await db
        .selectFrom('trust_changes')
        .selectAll()
        .$if(gun !== undefined, (qb) => qb.where('gun', '=', gun ?? ''))
        .$if(!isBackward, (qb) => qb.where('id', '>', changeId).orderBy('id', 'asc'))
        .$if(isBackward && changeId > 0, (qb) => qb.where('id', '<', changeId))
        .$if(isBackward, (qb) => qb.orderBy('id', 'desc'))
        .limit(limit)
        .execute();
      if (isBackward) rows.reverse();
      return rows.map(toChange);
    },

    async guns(): Promise<Gun[]> {
      const rows = await db.selectFrom('trust_docs').select('gun').distinct().orderBy('gun').execute();
      return rows.map((row) => row.gun as Gun);
    },
  };
}

/** Rejects a malformed batch before anything is written: a wrong checksum would be served by byChecksum. */
function checkDocs(docs: readonly NewTrustDoc[]): void {
  for (const doc of docs) {
    if (!Number.isSafeInteger(doc.version) || doc.version < 1) {
      throw new WharfError('UNKNOWN', `trust document ${doc.role} has an invalid version`);
    }
    if (createHash('sha256').update(doc.bytes).digest('hex') !== doc.sha256Hex) {
      throw new WharfError('UNKNOWN', `trust document ${doc.role} does not match its checksum`);
    }
  }
}

/**
 * Spec 6.3 step 5: each new version must be strictly greater than every stored version of its role.
 * `highestVersionsSql` lists every role of a GUN with its highest version (a few rows).
 */
async function checkVersions(trx: Transaction<Database>, highestVersionsSql: string, gun: Gun, docs: readonly NewTrustDoc[]): Promise<void> {
  const { rows } = await trx.executeQuery<{ role: string; version: number | string }>(CompiledQuery.raw(highestVersionsSql, [gun]));
  const highest = new Map(rows.map((row) => [row.role, Number(row.version)]));
  for (const doc of docs) {
    const current = highest.get(doc.role);
    if (current !== undefined && doc.version <= current) {
      // No detail: the reference answers VERSION with `detail: {}` (spec 6.3 step 5).
      throw new WharfError('TRUST_VERSION', undefined, { detail: {} });
    }
  }
}

async function writeDocs(ctx: SqlContext, trx: Transaction<Database>, gun: Gun, docs: readonly NewTrustDoc[], at: number): Promise<void> {
  const docRows = docs.map((doc) => ({ gun, role: doc.role, version: doc.version, sha256: doc.sha256Hex, content: doc.bytes, created_at: at }));
  // Spec section 9: one 'update' record per stored timestamp, with its version and sha256.
  const changeRows = docs
    .filter((doc) => doc.role === 'timestamp')
    .map((doc) => ({ gun, version: doc.version, sha256: doc.sha256Hex, category: 'update' as const, created_at: at }));
  if (changeRows.length > 0 && ctx.kind === 'postgres') {
    // One round trip for both inserts: PostgreSQL runs a data-modifying WITH in the same statement.
    await trx.with('docs', (q) => q.insertInto('trust_docs').values(docRows)).insertInto('trust_changes').values(changeRows).execute();
    return;
  }
  await trx.insertInto('trust_docs').values(docRows).execute();
  if (changeRows.length > 0) await trx.insertInto('trust_changes').values(changeRows).execute();
}
