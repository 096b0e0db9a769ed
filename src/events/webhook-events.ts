import { randomUUID } from 'node:crypto';
import { isRepositoryPattern, patternMatches } from '../auth/repository-pattern.ts';
import type { AuditRecord, NewWebhookDelivery, WebhookRecord } from '../storage/metadata-store.ts';

/** Additional data binding a sealed webhook secret or header set to its webhook (KeyVault). */
export const webhookSecretAad = (name: string) => `webhook-secret:${name.toLowerCase()}`;
export const webhookHeadersAad = (name: string) => `webhook-headers:${name.toLowerCase()}`;

/** What a webhook subscribes to (az acr webhook --actions, plus Wharf's trust and policy events). */
export const WEBHOOK_ACTIONS = ['push', 'delete', 'sign', 'revoke', 'policy', 'pull_refused'] as const;
export type WebhookAction = (typeof WEBHOOK_ACTIONS)[number];

/** The webhook actions an audit record triggers; most records (access changes, denials) trigger none. */
export function webhookActionsOf(record: Pick<AuditRecord, 'action' | 'detail'>): WebhookAction[] {
  switch (record.action) {
    case 'image.pushed':
    case 'tag.moved':
      return ['push'];
    case 'image.deleted':
    case 'tag.deleted':
    case 'repository.deleted':
    case 'blob.deleted':
      return ['delete'];
    case 'trust.published': {
      // `docker trust revoke` publishes targets without the tag: a revocation, not a signature.
      const removed = Array.isArray(record.detail.targetsRemoved) && record.detail.targetsRemoved.length > 0;
      const signed = ['targetsAdded', 'targetsChanged'].some((k) => Array.isArray(record.detail[k]) && (record.detail[k] as unknown[]).length > 0);
      return removed && !signed ? ['revoke'] : removed ? ['sign', 'revoke'] : ['sign'];
    }
    case 'trust.deleted':
      return ['revoke'];
    case 'policy.changed':
    case 'trust.reset':
      return ['policy'];
    case 'pull.refused':
      return ['pull_refused'];
    default:
      return [];
  }
}

/** Whether an enabled webhook wants the record: one of its actions, and its scope covers the record's repository. */
export function subscribes(webhook: WebhookRecord, record: AuditRecord): boolean {
  if (webhook.status !== 'enabled') return false;
  const actions = webhookActionsOf(record);
  if (!actions.some((a) => webhook.actions.includes(a))) return false;
  if (webhook.scope === '') return true;
  return record.repository !== '' && isRepositoryPattern(webhook.scope) && patternMatches(webhook.scope, record.repository);
}

/** CloudEvents 1.0 JSON (docs/audit.md "Webhooks"): `source` names the registry, `data` is the audit record. */
export function cloudEvent(source: string, record: AuditRecord): { id: string; type: string; body: string } {
  const type = `io.wharf.${record.action}`;
  const body = JSON.stringify({
    specversion: '1.0',
    id: record.hash,
    source,
    type,
    time: new Date(record.time).toISOString(),
    subject: record.repository || record.subject,
    datacontenttype: 'application/json',
    data: {
      seq: record.seq, action: record.action, actor: record.actor, repository: record.repository, subject: record.subject,
      detail: record.detail, hash: record.hash,
    },
  });
  return { id: record.hash, type, body };
}

/** The ping event `wharf webhook ping` sends. */
export function pingEvent(source: string, webhook: string, now: number): NewWebhookDelivery {
  const id = randomUUID();
  const type = 'io.wharf.ping';
  const payload = JSON.stringify({
    specversion: '1.0', id, source, type, time: new Date(now).toISOString(), subject: webhook, datacontenttype: 'application/json', data: { webhook },
  });
  return { webhook, eventId: id, eventType: type, payload };
}

/** The deliveries of one record to every webhook that subscribes to it. */
export function fanOut(source: string, webhooks: readonly WebhookRecord[]): (record: AuditRecord) => NewWebhookDelivery[] {
  return (record) => {
    const targets = webhooks.filter((w) => subscribes(w, record));
    if (targets.length === 0) return [];
    const event = cloudEvent(source, record);
    return targets.map((w) => ({ webhook: w.name, eventId: event.id, eventType: event.type, payload: event.body }));
  };
}
