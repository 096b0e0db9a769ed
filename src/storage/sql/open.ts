import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { MetadataStore } from '../metadata-store.ts';
import { toStoreError } from './errors.ts';
import { migrateToLatest } from './migrations/index.ts';
import type { Database, SqlKind } from './schema.ts';
import { sqlMetadataStore } from './sql-metadata-store.ts';

const INT8_OID = 20;
const PG_CONNECT_TIMEOUT_MS = 10_000;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens the metadata store named by `url` and migrates it to the latest schema:
 * 'sqlite' (`<dataDir>/metadata.db`), 'sqlite:<path>' (relative to the working directory),
 * 'sqlite::memory:', or 'postgres://…' / 'postgresql://…'. Throws UNAVAILABLE when the database
 * cannot be opened or reached, and a plain Error for an unsupported url (a configuration mistake).
 */
export async function openSqlMetadataStore(
  url: string,
  opts: { dataDir: string; sqliteSynchronous?: SqliteSynchronous },
): Promise<MetadataStore> {
  let db: Kysely<Database> | undefined;
  try {
    const kind: SqlKind = isPostgresUrl(url) ? 'postgres' : 'sqlite';
    db = kind === 'postgres' ? await openPostgres(url) : openSqlite(sqlitePath(url, opts.dataDir), opts.sqliteSynchronous ?? 'full');
    await migrateToLatest(db, kind);
    return sqlMetadataStore(db, kind);
  } catch (err) {
    await db?.destroy().catch(() => undefined);
    throw err instanceof UnsupportedUrl ? err : toStoreError(err);
  }
}

class UnsupportedUrl extends Error {}

function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

function sqlitePath(url: string, dataDir: string): string {
  if (url === 'sqlite') return join(dataDir, 'metadata.db');
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : '';
  // Only the scheme goes into the message: a url may carry a password.
  if (path === '') throw new UnsupportedUrl(`unsupported metadata store url (scheme "${url.split(':')[0] ?? ''}")`);
  return path === ':memory:' ? path : resolve(path);
}

/** 'full' fsyncs every commit; 'normal' does not (WAL checkpoints still fsync). */
export type SqliteSynchronous = 'normal' | 'full';

/** The SQLite database at `path` (':memory:' too) with Wharf's connection settings. */
export function openSqlite(path: string, synchronous: SqliteSynchronous): Kysely<Database> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  try {
    // WAL: a committed transaction is in the WAL file before COMMIT returns, so it survives a
    // crash or kill -9 of the process. FULL (the default) also fsyncs the WAL on every commit, so
    // it survives power loss too; NORMAL leaves that to checkpoints and may lose the last commits.
    database.pragma('journal_mode = WAL');
    database.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    throw err;
  }
  // Kysely serialises all queries and transactions over this one connection.
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
}

/**
 * Kysely prepares every query anew, which costs more than running it on the manifest GET path.
 * Queries are built from a fixed set of shapes with bound parameters, so a statement prepared once
 * per SQL text can be reused; the cache is bounded in case a caller builds SQL with varying text.
 */
function withStatementCache(database: SqliteDatabase.Database): SqliteDatabase.Database {
  const statements = new Map<string, SqliteDatabase.Statement>();
  const MAX_STATEMENTS = 500;
  return new Proxy(database, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver) as unknown;
      return (sql: string) => {
        let statement = statements.get(sql);
        if (!statement) {
          if (statements.size >= MAX_STATEMENTS) statements.clear();
          statement = target.prepare(sql);
          statements.set(sql, statement);
        }
        return statement;
      };
    },
  });
}

/** pg is loaded only for PostgreSQL: a SQLite server should not carry it. */
async function openPostgres(url: string): Promise<Kysely<Database>> {
  const { default: pg } = await import('pg');
  // Sizes and times are bigint columns; they stay far below 2^53, so Number is exact.
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, (value: string) => Number(value));
  const pool = new pg.Pool({ connectionString: url, types, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
