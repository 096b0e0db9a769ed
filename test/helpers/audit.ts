import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { WharfInstance } from './wharf.ts';

export interface AuditRecordJson {
  seq: number;
  time: string;
  action: string;
  actor: string;
  repository: string;
  subject: string;
  detail: Record<string, any>;
  prevHash: string;
  hash: string;
}

/** GET /api/audit as the owner with the given filters. */
export async function auditList(wharf: WharfInstance, query: Record<string, string> = {}): Promise<AuditRecordJson[]> {
  const res = await wharf.fetch(`/api/audit?${new URLSearchParams(query)}`);
  const body = (await res.json()) as AuditRecordJson[];
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/**
 * Polls GET /api/audit (events are appended after the response that caused them) until a record
 * matches, for up to 10 s; fails with what was there.
 */
export async function waitForAudit(wharf: WharfInstance, query: Record<string, string>, matches: (r: AuditRecordJson) => boolean): Promise<AuditRecordJson> {
  const deadline = Date.now() + 10_000;
  let seen: AuditRecordJson[] = [];
  while (Date.now() < deadline) {
    seen = await auditList(wharf, query);
    const found = seen.find(matches);
    if (found) return found;
    await sleep(50);
  }
  assert.fail(`no audit record matching ${JSON.stringify(query)}; newest: ${JSON.stringify(seen.slice(0, 5), null, 1)}`);
}

/** Raw SQL on a running Wharf's metadata database, behind its back (to tamper with the audit log). */
export interface RawSql {
  run(text: string, params?: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** Opens the database the instance was started with (`--metadata`, else `<data>/metadata.db`). Placeholders: `$1`, `$2`… */
export async function rawSql(wharf: WharfInstance): Promise<RawSql> {
  const args = wharf.process.spawnargs;
  const at = args.indexOf('--metadata');
  const url = at >= 0 ? args[at + 1]! : 'sqlite';
  if (url.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return { run: async (text, params = []) => void (await client.query(text, params)), close: () => client.end() };
  }
  const db = new SqliteDatabase(join(wharf.dataDir, 'metadata.db'));
  db.pragma('busy_timeout = 5000');
  return {
    run: async (text, params = []) => void db.prepare(text.replace(/\$\d+/g, '?')).run(...(params as never[])),
    close: async () => void db.close(),
  };
}
