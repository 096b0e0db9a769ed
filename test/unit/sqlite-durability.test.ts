import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/load.ts';
import { openSqlite } from '../../src/storage/sql/open.ts';
import { tmpDir } from '../helpers/tmp.ts';

// SQLite's PRAGMA synchronous values: 1 = NORMAL, 2 = FULL.
const SYNCHRONOUS_LEVEL = { normal: 1, full: 2 } as const;

describe('SQLite durability (sqlite.synchronous)', () => {
  it('defaults to full and takes normal from WHARF_SQLITE__SYNCHRONOUS', () => {
    assert.equal(loadConfig({ env: {} }).sqlite.synchronous, 'full');
    assert.equal(loadConfig({ env: { WHARF_SQLITE__SYNCHRONOUS: 'normal' } }).sqlite.synchronous, 'normal');
    assert.throws(() => loadConfig({ env: { WHARF_SQLITE__SYNCHRONOUS: 'off' } }), /sqlite\.synchronous/);
  });

  for (const level of ['normal', 'full'] as const) {
    it(`opens the database in WAL mode with synchronous=${level}`, async (t) => {
      const dir = await tmpDir();
      const db = openSqlite(join(dir.path, 'metadata.db'), level);
      t.after(async () => {
        await db.destroy();
        await dir.remove();
      });
      const pragma = async (name: string) => Object.values((await sql.raw(`PRAGMA ${name}`).execute(db)).rows[0] as object)[0] as unknown;
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('synchronous'), SYNCHRONOUS_LEVEL[level]);
    });
  }
});
