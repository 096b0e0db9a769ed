import Type from 'typebox';
import type { WebhookDelivery, WebhookRecord } from '../../storage/metadata-store.ts';
import type { AuditApiDeps } from '../audit/deps.ts';
import { callerOf, type ApiApp, type ApiContext } from '../context.ts';
import { armTime, RESOURCE_GROUP } from '../resource-ids.ts';
import { errors, NoContent } from '../schemas.ts';
import { DeliveriesQuery, Delivery, Webhook, WebhookCreate, WebhookParams, WebhookUpdate } from './schemas.ts';
import { webhookHeadersAad } from '../../events/webhook-events.ts';
import { WebhookService } from './service.ts';

function presentWebhook(w: WebhookRecord, ctx: ApiContext, headerNames: string[], secret?: string) {
  return {
    actions: w.actions, creationDate: armTime(w.createdAt), customHeaders: headerNames, id: `${ctx.registry.id}/webhooks/${w.name}`, name: w.name,
    provisioningState: 'Succeeded' as const, resourceGroup: RESOURCE_GROUP, scope: w.scope, ...(secret === undefined ? {} : { secret }),
    serviceUri: w.uri, status: w.status, type: 'Wharf.ContainerRegistry/registries/webhooks' as const,
  };
}

function presentDelivery(d: WebhookDelivery) {
  const last = d.attempts.at(-1);
  return {
    id: d.id, eventId: d.eventId, eventType: d.eventType, status: d.status,
    ...(last?.statusCode === undefined ? {} : { statusCode: last.statusCode }),
    attempts: d.attempts.map((a) => ({ time: new Date(a.at).toISOString(), durationMs: a.ms, ...(a.statusCode === undefined ? {} : { statusCode: a.statusCode }), ...(a.error === undefined ? {} : { error: a.error }) })),
    ...(d.status === 'pending' ? { nextAttemptTime: new Date(d.nextAttemptAt).toISOString() } : {}),
    createdTime: new Date(d.createdAt).toISOString(),
    payload: d.payload,
  };
}

/** `/api/webhooks` (wharf webhook …). */
export async function webhookRoutes(app: ApiApp, { ctx, audit }: { ctx: ApiContext; audit: AuditApiDeps }): Promise<void> {
  const service = new WebhookService(ctx, audit);
  const tags = ['webhooks'];
  // Header names are shown, their values never: open the sealed set only for its keys.
  const headerNames = (w: WebhookRecord) => (w.sealedHeaders ? Object.keys(JSON.parse(ctx.vault.open(w.sealedHeaders, webhookHeadersAad(w.name)).toString('utf8')) as object) : []);

  app.get('/webhooks', {
    schema: { operationId: 'webhooks_list', summary: 'Every webhook', tags, response: { 200: Type.Array(Webhook), ...errors() } },
  }, async (req) => (await service.list(callerOf(req))).map((w) => presentWebhook(w, ctx, headerNames(w))));

  app.post('/webhooks', {
    schema: { operationId: 'webhooks_create', summary: 'Create a webhook; its HMAC secret is shown once', tags, body: WebhookCreate, response: { 201: Webhook, ...errors(400, 409) } },
  }, async (req, reply) => {
    const { webhook, secret } = await service.create(callerOf(req), req.body);
    return reply.code(201).send(presentWebhook(webhook, ctx, Object.keys(req.body.headers ?? {}), secret));
  });

  app.get('/webhooks/:webhook', {
    schema: { operationId: 'webhooks_show', summary: 'One webhook', tags, params: WebhookParams, response: { 200: Webhook, ...errors(404) } },
  }, async (req) => {
    const webhook = await service.get(callerOf(req), req.params.webhook);
    return presentWebhook(webhook, ctx, headerNames(webhook));
  });

  app.patch('/webhooks/:webhook', {
    schema: {
      operationId: 'webhooks_update', summary: 'Change the uri, actions, scope, status or custom headers, or regenerate the secret (shown once)', tags,
      params: WebhookParams, body: WebhookUpdate, response: { 200: Webhook, ...errors(400, 404) },
    },
  }, async (req) => {
    const { webhook, secret } = await service.update(callerOf(req), req.params.webhook, req.body);
    return presentWebhook(webhook, ctx, headerNames(webhook), secret);
  });

  app.delete('/webhooks/:webhook', {
    schema: { operationId: 'webhooks_delete', summary: 'Delete a webhook and its delivery log', tags, params: WebhookParams, response: { 204: NoContent, ...errors(404) } },
  }, async (req, reply) => {
    await service.delete(callerOf(req), req.params.webhook);
    return reply.code(204).send(null);
  });

  app.post('/webhooks/:webhook/ping', {
    schema: { operationId: 'webhooks_ping', summary: 'Queue an io.wharf.ping event; it is sent at once', tags, params: WebhookParams, response: { 202: Delivery, ...errors(404) } },
  }, async (req, reply) => reply.code(202).send(presentDelivery(await service.ping(callerOf(req), req.params.webhook))));

  app.get('/webhooks/:webhook/deliveries', {
    schema: { operationId: 'webhooks_listEvents', summary: 'Deliveries, newest first, with every attempt and status code', tags, params: WebhookParams, querystring: DeliveriesQuery, response: { 200: Type.Array(Delivery), ...errors(404) } },
  }, async (req) => (await service.deliveries(callerOf(req), req.params.webhook, Math.min(Number(req.query.top ?? 100), 1000))).map(presentDelivery));
}
