import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { MetadataStore, NewAuditEvent } from '../storage/metadata-store.ts';
import type { ActorNames } from './actor-names.ts';
import { fanOut } from './webhook-events.ts';

/** Who did it: a login name, a principal id the gate saw (resolved to its name), or nobody (anonymous). */
export type Actor = { name: string } | { id: string } | undefined;

/** What a call site reports. Details never hold a secret. */
export interface RegistryEvent {
  action: string;
  actor: Actor;
  repository?: string;
  subject?: string;
  /** Facts of the action (strings, integers, booleans, lists, objects; never a secret); a promise is awaited in the background and may fail: the record then says `detailUnavailable`. */
  detail?: Record<string, unknown> | Promise<Record<string, unknown>>;
}

/**
 * The one interface every call site uses: one line after the change succeeded. Recording happens
 * after the fact: `record` returns at once, the append runs in the background (in order), so the
 * client never waits for the audit log or any webhook.
 */
export interface EventRecorder {
  record(event: RegistryEvent): void;
}


const BATCH = 200;
const APPEND_TRIES = 5;

export interface AuditRecorderDeps {
  metadata: MetadataStore;
  names: ActorNames;
  log: Logger;
  /** CloudEvents `source`: the registry's URL. */
  source: string;
  /** Told after every append, so that new deliveries go out at once. */
  appended?: () => void;
}

/**
 * Appends recorded events to the audit log in batches (one transaction, one chain-head lock per
 * batch), writing the webhook deliveries they trigger in the same transaction. An append that
 * fails is retried; events still unwritten after that are logged as lost. Events queued when the
 * process dies before their append are lost too (the price of not making clients wait).
 */
export class AuditRecorder implements EventRecorder {
  readonly #d: AuditRecorderDeps;
  readonly #pending: Promise<NewAuditEvent>[] = [];
  #draining: Promise<void> | undefined;

  constructor(deps: AuditRecorderDeps) {
    this.#d = deps;
  }

  record(event: RegistryEvent): void {
    this.#pending.push(this.#resolve(event, Date.now()));
    this.#kick();
  }

  /** Resolves when everything recorded so far is appended (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  #kick(): void {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#pending.length > 0) this.#kick();
    });
  }

  async #resolve(event: RegistryEvent, time: number): Promise<NewAuditEvent> {
    const actor = event.actor === undefined ? '' : 'name' in event.actor ? event.actor.name : await this.#nameOf(event.actor.id);
    return { action: event.action, actor, repository: event.repository ?? '', subject: event.subject ?? '', detail: await this.#detailOf(event), time };
  }

  async #detailOf(event: RegistryEvent): Promise<Record<string, unknown>> {
    try {
      return (await event.detail) ?? {};
    } catch (err) {
      this.#d.log.warn({ err, action: event.action }, 'audit event detail unavailable');
      return { detailUnavailable: true };
    }
  }

  /** Never rejects: an id whose name cannot be read now is recorded as the id. */
  async #nameOf(id: string): Promise<string> {
    return this.#d.names.nameOf(id).catch(() => id);
  }

  async #drain(): Promise<void> {
    // Let the request that recorded finish first: the append is not on its path.
    await sleep(0);
    while (this.#pending.length > 0) {
      await this.#append(await Promise.all(this.#pending.splice(0, BATCH)));
    }
  }

  async #append(batch: NewAuditEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const webhooks = await this.#d.metadata.webhooks.list();
        await this.#d.metadata.audit.append(batch, fanOut(this.#d.source, webhooks));
        this.#d.appended?.();
        return;
      } catch (err) {
        if (attempt >= APPEND_TRIES) {
          this.#d.log.error({ err, lost: batch.map((e) => ({ action: e.action, actor: e.actor, repository: e.repository, subject: e.subject, time: e.time })) }, 'audit events lost');
          return;
        }
        this.#d.log.warn({ err, attempt }, 'audit append failed; retrying');
        await sleep(200 * 2 ** attempt);
      }
    }
  }
}
