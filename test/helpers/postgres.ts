import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the tests use (trust auth); `test` is only the database we connect to for admin work. */
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, uniquely named database; `drop()` removes it, ending any sessions left on it.
 * It collates text with ICU en-US (not C), so a query that forgets COLLATE "C" on a key sorts
 * differently from SQLite and the contract tests notice.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wharf_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(async (client) => {
    await client.query('SET synchronous_commit = off');
    await client.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`);
    // Test data need not survive a server crash; not waiting for each commit's flush saves seconds.
    await client.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  });
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: () =>
      admin(async (client) => {
        await client.query('SET synchronous_commit = off');
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}
