import type { Generated, Kysely, Selectable, Transaction } from 'kysely';
import { WharfError } from '../../errors/wharf-error.ts';
import type { DeliveryAttempt, NewWebhookDelivery, WebhookDelivery, WebhookRecord, WebhookStatus, WebhookStore } from '../metadata-store.ts';
import { isUniqueViolation } from './errors.ts';
import type { Database, SqlContext } from './schema.ts';

/** The 005-audit webhook tables. */
export type WebhookTables = {
  webhooks: WebhookRow;
  webhook_deliveries: DeliveryRow;
};

export interface WebhookRow {
  /** The lower-cased name: names compare case-insensitively. */
  name_key: string;
  name: string;
  uri: string;
  /** JSON array of webhook actions. */
  actions: string;
  scope: string;
  status: WebhookStatus;
  sealed_secret: Buffer;
  sealed_headers: Buffer | null;
  created_at: number;
  updated_at: number;
}

export interface DeliveryRow {
  id: Generated<number>;
  webhook_key: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: WebhookDelivery['status'];
  /** JSON array of DeliveryAttempt. */
  attempts: string;
  next_attempt_at: number;
  created_at: number;
  updated_at: number;
}

type WebhookDb = Kysely<Database & WebhookTables>;

const keyOf = (name: string) => name.toLowerCase();

function toWebhook(row: Selectable<WebhookRow>): WebhookRecord {
  return {
    name: row.name,
    uri: row.uri,
    actions: JSON.parse(row.actions) as string[],
    scope: row.scope,
    status: row.status,
    sealedSecret: Buffer.from(row.sealed_secret),
    ...(row.sealed_headers === null ? {} : { sealedHeaders: Buffer.from(row.sealed_headers) }),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toDelivery(row: Selectable<DeliveryRow> & { name: string }): WebhookDelivery {
  return {
    id: Number(row.id),
    webhook: row.name,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status,
    attempts: JSON.parse(row.attempts) as DeliveryAttempt[],
    nextAttemptAt: Number(row.next_attempt_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Inserts pending deliveries, due at once; used inside the audit append transaction too. */
export async function insertDeliveries(db: WebhookDb | Transaction<Database & WebhookTables>, deliveries: readonly NewWebhookDelivery[], now: number): Promise<void> {
  if (deliveries.length === 0) return;
  await db.insertInto('webhook_deliveries').values(deliveries.map((d) => ({
    webhook_key: keyOf(d.webhook), event_id: d.eventId, event_type: d.eventType, payload: d.payload,
    status: 'pending' as const, attempts: '[]', next_attempt_at: now, created_at: now, updated_at: now,
  }))).execute();
}

/**
 * Webhook subscriptions and the delivery outbox. A claim is an update conditional on the
 * delivery's nextAttemptAt still being what the claimer read, so two nodes never both take one.
 */
export function webhookStore(ctx: SqlContext): WebhookStore {
  const db = ctx.db.withTables<WebhookTables>() as WebhookDb;
  const selectDeliveries = () => db.selectFrom('webhook_deliveries').innerJoin('webhooks', 'webhooks.name_key', 'webhook_deliveries.webhook_key').selectAll('webhook_deliveries').select('webhooks.name');
  const get = async (name: string) => {
    const row = await db.selectFrom('webhooks').selectAll().where('name_key', '=', keyOf(name)).executeTakeFirst();
    return row && toWebhook(row);
  };

  return {
    async create(webhook) {
      const at = ctx.now();
      try {
        await db.insertInto('webhooks').values({
          name_key: keyOf(webhook.name), name: webhook.name, uri: webhook.uri, actions: JSON.stringify(webhook.actions), scope: webhook.scope,
          status: webhook.status, sealed_secret: webhook.sealedSecret, sealed_headers: webhook.sealedHeaders ?? null, created_at: at, updated_at: at,
        }).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new WharfError('CONFLICT', `a webhook named "${webhook.name}" exists`, { detail: { name: webhook.name } });
        throw err;
      }
      return (await get(webhook.name))!;
    },

    get,

    async list() {
      const rows = await db.selectFrom('webhooks').selectAll().orderBy('name_key').execute();
      return rows.map(toWebhook);
    },

    async update(name, change) {
      const result = await db.updateTable('webhooks').set({
        ...(change.uri === undefined ? {} : { uri: change.uri }),
        ...(change.actions === undefined ? {} : { actions: JSON.stringify(change.actions) }),
        ...(change.scope === undefined ? {} : { scope: change.scope }),
        ...(change.status === undefined ? {} : { status: change.status }),
        ...(change.sealedSecret === undefined ? {} : { sealed_secret: change.sealedSecret }),
        ...(change.sealedHeaders === undefined ? {} : { sealed_headers: change.sealedHeaders }),
        updated_at: ctx.now(),
      }).where('name_key', '=', keyOf(name)).executeTakeFirst();
      return Number(result.numUpdatedRows) === 0 ? undefined : get(name);
    },

    async delete(name) {
      // Explicitly, not only by the foreign key's cascade: SQLite enforces it per connection setting.
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('webhook_deliveries').where('webhook_key', '=', keyOf(name)).execute();
        const result = await trx.deleteFrom('webhooks').where('name_key', '=', keyOf(name)).executeTakeFirst();
        return Number(result.numDeletedRows) > 0;
      });
    },

    async enqueue(delivery) {
      const at = ctx.now();
      const row = await db.insertInto('webhook_deliveries').values({
        webhook_key: keyOf(delivery.webhook), event_id: delivery.eventId, event_type: delivery.eventType, payload: delivery.payload,
        status: 'pending', attempts: '[]', next_attempt_at: at, created_at: at, updated_at: at,
      }).returning('id').executeTakeFirstOrThrow();
      const stored = await selectDeliveries().where('webhook_deliveries.id', '=', Number(row.id)).executeTakeFirstOrThrow();
      return toDelivery(stored);
    },

    async claim(now, leaseMs, limit) {
      const due = await selectDeliveries()
        .where('webhook_deliveries.status', '=', 'pending')
        .where('webhook_deliveries.next_attempt_at', '<=', now)
        .orderBy('webhook_deliveries.id')
        .limit(limit)
        .execute();
      const claimed: WebhookDelivery[] = [];
      for (const row of due) {
        const result = await db.updateTable('webhook_deliveries')
          .set({ next_attempt_at: now + leaseMs })
          .where('id', '=', Number(row.id))
          .where('status', '=', 'pending')
          .where('next_attempt_at', '=', Number(row.next_attempt_at))
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 1) claimed.push(toDelivery(row));
      }
      return claimed;
    },

    async settle(id, attempt, outcome) {
      await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('webhook_deliveries').select(['attempts', 'next_attempt_at']).where('id', '=', id).executeTakeFirst();
        if (!row) return;
        const attempts = [...(JSON.parse(row.attempts) as DeliveryAttempt[]), attempt];
        await trx.updateTable('webhook_deliveries').set({
          attempts: JSON.stringify(attempts), status: outcome.status, next_attempt_at: outcome.nextAttemptAt ?? Number(row.next_attempt_at), updated_at: ctx.now(),
        }).where('id', '=', id).execute();
      });
    },

    async deliveries(webhook, limit) {
      const rows = await selectDeliveries().where('webhook_deliveries.webhook_key', '=', keyOf(webhook)).orderBy('webhook_deliveries.id', 'desc').limit(limit).execute();
      return rows.map(toDelivery);
    },
  };
}
