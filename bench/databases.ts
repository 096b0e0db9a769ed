// Fresh, uniquely named databases for the trust section's SQL-backed servers, with the servers'
// default durability (commits wait for the log flush), dropped when the server stops.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/** A database the bench made; `drop()` removes it. */
export interface BenchDatabase {
  readonly name: string;
  /** Human description for the report notes. */
  readonly label: string;
  drop(): Promise<void>;
}

const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_ARGS = ['-h', '127.0.0.1', '-P', '3306', '-u', 'root', '--batch'];

const uniqueName = (what: string) => `wharf_bench_${what}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

async function postgresAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth), optionally with `schemaFile` applied. */
export async function createPostgresDatabase(what: string, schemaFile?: string): Promise<BenchDatabase & { url: string }> {
  const name = uniqueName(what);
  await postgresAdmin(POSTGRES_ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`));
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  if (schemaFile) await postgresAdmin(url, async (c) => c.query(await readFile(schemaFile, 'utf8')));
  const version = await postgresAdmin(url, async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?');
  return {
    name,
    url,
    label: `PostgreSQL ${version.replace(/\s.*/, '')} (synchronous_commit on)`,
    drop: () => postgresAdmin(POSTGRES_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

const mysql = async (args: readonly string[]) => (await promisify(execFile)('mysql', [...MYSQL_ARGS, ...args])).stdout;

/** A new MariaDB/MySQL database on 127.0.0.1:3306 (root, no password) with `schemaFile` applied. */
export async function createMysqlDatabase(what: string, schemaFile: string): Promise<BenchDatabase> {
  const name = uniqueName(what);
  await mysql(['-e', `CREATE DATABASE ${name} CHARACTER SET utf8mb4`]);
  await mysql([name, '-e', `source ${schemaFile}`]);
  const [version, flush] = (await mysql(['-N', '-e', 'SELECT VERSION(), @@innodb_flush_log_at_trx_commit'])).trim().split('\t');
  return {
    name,
    label: `MariaDB ${version?.replace(/-.*/, '')} (InnoDB, innodb_flush_log_at_trx_commit=${flush})`,
    drop: () => mysql(['-e', `DROP DATABASE IF EXISTS ${name}`]).then(() => undefined),
  };
}

/** A schema file in bench/notary-schema/ by name, e.g. "mysql" (notary-server) or "signer-postgresql". */
export const notarySchema = (file: string) => join(import.meta.dirname, 'notary-schema', `${file}.sql`);
