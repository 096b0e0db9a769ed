import { isRepositoryPattern } from '../../auth/repository-pattern.ts';
import { newSecret } from '../../auth/secrets.ts';
import { pingEvent, webhookHeadersAad, webhookSecretAad } from '../../events/webhook-events.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { WebhookDelivery, WebhookRecord, WebhookStatus } from '../../storage/metadata-store.ts';
import type { AuditApiDeps } from '../audit/deps.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';

export interface NewWebhookInput {
  name: string;
  uri: string;
  actions: string[];
  scope?: string;
  status?: WebhookStatus;
  headers?: Record<string, string>;
}

/** What `wharf webhook update` may change; absent fields stay, `headers: {}` removes the custom headers. */
export interface WebhookUpdateInput {
  uri?: string;
  actions?: string[];
  scope?: string;
  status?: WebhookStatus;
  headers?: Record<string, string>;
  regenerateSecret?: boolean;
}

/** Webhook subscriptions (docs/audit.md): registry/read to view, registry/write to change. */
export class WebhookService {
  readonly #ctx: ApiContext;
  readonly #deps: AuditApiDeps;

  constructor(ctx: ApiContext, deps: AuditApiDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
  }

  async list(caller: Caller): Promise<WebhookRecord[]> {
    await this.#ctx.authz.require(caller, 'registry/read');
    return this.#deps.webhooks.list();
  }

  async get(caller: Caller, name: string): Promise<WebhookRecord> {
    await this.#ctx.authz.require(caller, 'registry/read');
    return this.#find(name);
  }

  /** Stores the webhook with a new secret, sealed; the secret is returned this once. */
  async create(caller: Caller, input: NewWebhookInput): Promise<{ webhook: WebhookRecord; secret: string }> {
    await this.#ctx.authz.require(caller, 'registry/write');
    const uri = parseUri(input.uri);
    const scope = checkScope(input.scope ?? '');
    const secret = newSecret();
    const headers = input.headers && Object.keys(input.headers).length > 0 ? input.headers : undefined;
    const webhook = await this.#deps.webhooks.create({
      name: input.name, uri, actions: input.actions, scope, status: input.status ?? 'enabled',
      sealedSecret: this.#sealSecret(input.name, secret),
      ...(headers && { sealedHeaders: this.#sealHeaders(input.name, headers) }),
    });
    return { webhook, secret };
  }

  /**
   * Changes the fields given, validated all before the write; deliveries still pending go out
   * with the new settings (a disabled webhook's fail at their next attempt). A regenerated secret
   * is returned this once.
   */
  async update(caller: Caller, name: string, change: WebhookUpdateInput): Promise<{ webhook: WebhookRecord; secret?: string }> {
    await this.#ctx.authz.require(caller, 'registry/write');
    const current = await this.#find(name);
    const uri = change.uri === undefined ? undefined : parseUri(change.uri);
    const scope = change.scope === undefined ? undefined : checkScope(change.scope);
    const secret = change.regenerateSecret === true ? newSecret() : undefined;
    const headers = change.headers === undefined ? undefined : Object.keys(change.headers).length > 0 ? this.#sealHeaders(current.name, change.headers) : null;
    const webhook = await this.#deps.webhooks.update(current.name, {
      ...(uri === undefined ? {} : { uri }),
      ...(change.actions === undefined ? {} : { actions: change.actions }),
      ...(scope === undefined ? {} : { scope }),
      ...(change.status === undefined ? {} : { status: change.status }),
      ...(secret === undefined ? {} : { sealedSecret: this.#sealSecret(current.name, secret) }),
      ...(headers === undefined ? {} : { sealedHeaders: headers }),
    });
    if (!webhook) throw notFound(name);
    return { webhook, ...(secret === undefined ? {} : { secret }) };
  }

  async delete(caller: Caller, name: string): Promise<void> {
    await this.#ctx.authz.require(caller, 'registry/write');
    if (!(await this.#deps.webhooks.delete(name))) throw notFound(name);
  }

  /** Queues an `io.wharf.ping` delivery, sent at once in the background; its outcome shows in the deliveries. */
  async ping(caller: Caller, name: string): Promise<WebhookDelivery> {
    await this.#ctx.authz.require(caller, 'registry/write');
    const webhook = await this.#find(name);
    const delivery = await this.#deps.webhooks.enqueue(pingEvent(this.#deps.source, webhook.name, this.#ctx.now()));
    this.#deps.deliveriesQueued();
    return delivery;
  }

  async deliveries(caller: Caller, name: string, top: number): Promise<WebhookDelivery[]> {
    await this.#ctx.authz.require(caller, 'registry/read');
    const webhook = await this.#find(name);
    return this.#deps.webhooks.deliveries(webhook.name, top);
  }

  #sealSecret(name: string, secret: string): Buffer {
    return this.#ctx.vault.seal(Buffer.from(secret, 'utf8'), webhookSecretAad(name));
  }

  #sealHeaders(name: string, headers: Record<string, string>): Buffer {
    return this.#ctx.vault.seal(Buffer.from(JSON.stringify(headers), 'utf8'), webhookHeadersAad(name));
  }

  async #find(name: string): Promise<WebhookRecord> {
    const webhook = await this.#deps.webhooks.get(name);
    if (!webhook) throw notFound(name);
    return webhook;
  }
}

function notFound(name: string): WharfError {
  return new WharfError('NOT_FOUND_RESOURCE', `no webhook "${name.slice(0, 100)}"`);
}

function checkScope(scope: string): string {
  if (scope !== '' && !isRepositoryPattern(scope)) throw new WharfError('INVALID_REQUEST', `scope must be a repository, prefix/* or *, not "${scope.slice(0, 100)}"`);
  return scope;
}

function parseUri(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WharfError('INVALID_REQUEST', 'uri must be an absolute http or https URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WharfError('INVALID_REQUEST', 'uri must be an http or https URL');
  if (url.username !== '' || url.password !== '') throw new WharfError('INVALID_REQUEST', 'uri must not carry credentials: send them with headers, which are sealed');
  return url.toString();
}
