import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeliveryAttempt, MetadataStore, WebhookDelivery } from '../storage/metadata-store.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import { webhookHeadersAad, webhookSecretAad } from './webhook-events.ts';

/** The signature header (docs/audit.md "Verifying a delivery"): `sha256=<hex HMAC-SHA256 of the body>`. */
export const SIGNATURE_HEADER = 'x-wharf-signature-256';

export function signatureOf(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface DispatcherOptions {
  /** First retry after this long, doubling each time (default 1 s: 1, 2, 4, 8, 16 s). */
  retryBaseMs?: number;
  /** Attempts before a delivery is marked failed (default 6). */
  maxAttempts?: number;
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** How often the outbox is polled besides wake() (default 1 s; other nodes' events arrive this way). */
  pollMs?: number;
}

const LEASE_MS = 60_000;
const BATCH = 16;

/**
 * Sends the webhook outbox (webhook_deliveries) in the background: claims due deliveries, POSTs
 * each body with the custom headers and the HMAC signature, and settles the attempt: delivered on
 * a 2xx, else retried with exponential backoff until maxAttempts, then failed. Every attempt is
 * kept with its status code. Runs on every node; a claim keeps two nodes from sending one delivery.
 */
export class WebhookDispatcher {
  readonly #metadata: MetadataStore;
  readonly #vault: KeyVault;
  readonly #log: Logger;
  readonly #o: Required<DispatcherOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(deps: { metadata: MetadataStore; vault: KeyVault; log: Logger }, options: DispatcherOptions = {}) {
    this.#metadata = deps.metadata;
    this.#vault = deps.vault;
    this.#log = deps.log;
    this.#o = { retryBaseMs: 1000, maxAttempts: 6, timeoutMs: 10_000, pollMs: 1000, ...options };
  }

  start(): void {
    this.#timer = setInterval(() => this.wake(), this.#o.pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Sends what is due now (new deliveries were queued). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#tick().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Stops polling and waits for the attempts in flight; unsent deliveries stay queued for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  async #tick(): Promise<void> {
    try {
      for (;;) {
        const due = await this.#metadata.webhooks.claim(Date.now(), LEASE_MS, BATCH);
        await Promise.all(due.map((d) => this.#deliver(d)));
        if (due.length < BATCH || this.#stopped) return;
      }
    } catch (err) {
      this.#log.warn({ err }, 'webhook outbox unavailable');
    }
  }

  async #deliver(delivery: WebhookDelivery): Promise<void> {
    const webhook = await this.#metadata.webhooks.get(delivery.webhook);
    const started = Date.now();
    let attempt: DeliveryAttempt;
    if (!webhook || webhook.status !== 'enabled') {
      attempt = { at: started, ms: 0, error: 'the webhook is disabled' };
      await this.#metadata.webhooks.settle(delivery.id, attempt, { status: 'failed' });
      return;
    }
    try {
      const secret = this.#vault.open(webhook.sealedSecret, webhookSecretAad(webhook.name)).toString('utf8');
      const custom = webhook.sealedHeaders ? (JSON.parse(this.#vault.open(webhook.sealedHeaders, webhookHeadersAad(webhook.name)).toString('utf8')) as Record<string, string>) : {};
      const res = await fetch(webhook.uri, {
        method: 'POST',
        headers: { ...custom, 'content-type': 'application/cloudevents+json; charset=utf-8', 'user-agent': 'wharf-webhook/1', [SIGNATURE_HEADER]: signatureOf(secret, delivery.payload) },
        body: delivery.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      attempt = { at: started, ms: Date.now() - started, statusCode: res.status };
    } catch (err) {
      attempt = { at: started, ms: Date.now() - started, error: describe(err) };
    }
    const ok = attempt.statusCode !== undefined && attempt.statusCode >= 200 && attempt.statusCode < 300;
    const attempts = delivery.attempts.length + 1;
    const outcome = ok
      ? { status: 'delivered' as const }
      : attempts >= this.#o.maxAttempts
        ? { status: 'failed' as const }
        : { status: 'pending' as const, nextAttemptAt: Date.now() + this.#o.retryBaseMs * 2 ** (attempts - 1) };
    if (!ok) this.#log.info({ webhook: webhook.name, delivery: delivery.id, attempt: attempts, statusCode: attempt.statusCode, error: attempt.error, outcome: outcome.status }, 'webhook delivery failed');
    await this.#metadata.webhooks.settle(delivery.id, attempt, outcome);
  }
}

/** A network error as the delivery log shows it: the first system code in its causes, else its message. */
function describe(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timeout';
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const inner = e instanceof AggregateError ? e.errors.find((x) => typeof (x as { code?: unknown }).code === 'string') : undefined;
    if (inner) return (inner as { code: string }).code;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return (cause instanceof Error ? cause.message : String(cause)).slice(0, 200);
}
