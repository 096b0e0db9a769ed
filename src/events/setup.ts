import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuditApiDeps } from '../api/audit/deps.ts';
import type { AuthDenial, AuthEvents } from '../auth/auth-events.ts';
import type { MetadataStore } from '../storage/metadata-store.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import { ActorNames } from './actor-names.ts';
import { AuditRecorder } from './recorder.ts';
import { WebhookDispatcher } from './webhook-dispatcher.ts';

export interface EventsSurface {
  readonly recorder: AuditRecorder;
  /** For the management API's audit and webhook routes. */
  readonly api: AuditApiDeps;
  /** Appends what is still queued and stops the webhook sender (before the stores close). */
  close(): Promise<void>;
}

/**
 * The audit log and webhooks of one Wharf process (docs/audit.md): the recorder every call site
 * reports to, the background webhook sender, and /v2 denials reported by the auth events.
 */
export function setupEvents(opts: { metadata: MetadataStore; vault: KeyVault; log: Logger; source: string; authEvents?: AuthEvents }): EventsSurface {
  const { metadata, vault, log, source } = opts;
  const dispatcher = new WebhookDispatcher({ metadata, vault, log });
  const recorder = new AuditRecorder({ metadata, names: new ActorNames(metadata.access), log, source, appended: () => dispatcher.wake() });
  opts.authEvents?.onDenied((req, denial) => recorder.record(denialEvent(req, denial)));
  dispatcher.start();
  return {
    recorder,
    api: { events: recorder, audit: metadata.audit, webhooks: metadata.webhooks, source, deliveriesQueued: () => dispatcher.wake() },
    async close() {
      await recorder.flush();
      await dispatcher.stop();
    },
  };
}

/**
 * A /v2 or trust request refused for lack of rights (auth-events.ts), as `request.denied`. Trust
 * requests are authorized on the GUN (`host:port/repository`): the record names the repository,
 * as every other record of it does, and keeps the GUN in its detail.
 */
function denialEvent(req: FastifyRequest, denial: AuthDenial) {
  const name = /^repository:(\S+)$/.exec(denial.resource)?.[1] ?? '';
  const gun = req.ociRoute === 'trust' && name.includes('/') ? name : undefined;
  return {
    action: 'request.denied',
    actor: { id: denial.principal },
    repository: gun === undefined ? name : gun.slice(gun.indexOf('/') + 1),
    detail: { method: req.method, action: denial.action, resource: denial.resource, source: req.ip, ...(gun === undefined ? {} : { gun }) },
  };
}
