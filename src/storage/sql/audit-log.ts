import { type Kysely, type Selectable, type Transaction } from 'kysely';
import { hashAuditRecord, stableJson } from '../../events/audit-hash.ts';
import type { AuditLog, AuditRecord, NewWebhookDelivery } from '../metadata-store.ts';
import type { Database, SqlContext } from './schema.ts';
import { insertDeliveries, type WebhookTables } from './webhooks.ts';

/** The 005-audit tables of the log itself. */
export type AuditTables = {
  audit_log: AuditRow;
  audit_head: { id: number; seq: number; hash: string };
};

export interface AuditRow {
  seq: number;
  time: number;
  action: string;
  actor: string;
  repository: string;
  subject: string;
  /** stableJson of the detail object, the text the hash covered. */
  detail: string;
  prev_hash: string;
  hash: string;
}

type AuditDb = Kysely<Database & AuditTables & WebhookTables>;
type AuditTx = Transaction<Database & AuditTables & WebhookTables>;

function toRecord(row: Selectable<AuditRow>): AuditRecord {
  return {
    seq: Number(row.seq),
    time: Number(row.time),
    action: row.action,
    actor: row.actor,
    repository: row.repository,
    subject: row.subject,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * The audit log. An append reads the head row first, locked (FOR UPDATE) on PostgreSQL, so that
 * appends from every node take turns and each sees the head the previous one committed; SQLite
 * runs every transaction on its one connection, which serializes them already.
 */
export function auditLog(ctx: SqlContext): AuditLog {
  const db = ctx.db.withTables<AuditTables & WebhookTables>() as AuditDb;
  const readHead = (qb: AuditDb | AuditTx) =>
    qb.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).$if(ctx.kind === 'postgres', (q) => q.forUpdate()).executeTakeFirstOrThrow();

  return {
    async append(events, fanOut) {
      if (events.length === 0) return [];
      return db.transaction().execute(async (trx) => {
        const head = await readHead(trx);
        let seq = Number(head.seq);
        let prevHash = head.hash;
        const records: AuditRecord[] = [];
        const deliveries: NewWebhookDelivery[] = [];
        for (const event of events) {
          seq += 1;
          const fields = { ...event, detail: JSON.parse(stableJson(event.detail)) as Record<string, unknown>, seq, prevHash };
          const record: AuditRecord = { ...fields, hash: hashAuditRecord(fields) };
          records.push(record);
          if (fanOut) deliveries.push(...fanOut(record));
          prevHash = record.hash;
        }
        await trx.insertInto('audit_log').values(records.map((r) => ({
          seq: r.seq, time: r.time, action: r.action, actor: r.actor, repository: r.repository, subject: r.subject,
          detail: stableJson(r.detail), prev_hash: r.prevHash, hash: r.hash,
        }))).execute();
        await trx.updateTable('audit_head').set({ seq, hash: prevHash }).where('id', '=', 1).execute();
        await insertDeliveries(trx as unknown as Transaction<Database & WebhookTables>, deliveries, ctx.now());
        return records;
      });
    },

    async query(q) {
      let select = db.selectFrom('audit_log').selectAll();
      if (q.action !== undefined) {
        // A prefix 'image.' is the byte range ['image.', 'image/'): '/' follows '.'.
        select = q.action.endsWith('.')
          ? select.where('action', '>=', q.action).where('action', '<', `${q.action.slice(0, -1)}/`)
          : select.where('action', '=', q.action);
      }
      if (q.repository !== undefined) select = select.where('repository', '=', q.repository);
      if (q.actor !== undefined) select = select.where('actor', '=', q.actor);
      if (q.since !== undefined) select = select.where('time', '>=', q.since);
      if (q.until !== undefined) select = select.where('time', '<=', q.until);
      if (q.beforeSeq !== undefined) select = select.where('seq', '<', q.beforeSeq);
      const rows = await select.orderBy('seq', 'desc').limit(q.limit).execute();
      return rows.map(toRecord);
    },

    async range(afterSeq, limit) {
      const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit).execute();
      return rows.map(toRecord);
    },

    async head() {
      const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
      return { seq: Number(head.seq), hash: head.hash };
    },
  };
}

