import type { EventRecorder } from '../../events/recorder.ts';
import type { AuditLog, WebhookStore } from '../../storage/metadata-store.ts';

/** What the audit and webhook routes need besides the API context. */
export interface AuditApiDeps {
  readonly events: EventRecorder;
  readonly audit: AuditLog;
  readonly webhooks: WebhookStore;
  /** CloudEvents `source` of this registry (its URL). */
  readonly source: string;
  /** Told when a delivery was queued outside an audit append (ping), so it goes out at once. */
  readonly deliveriesQueued: () => void;
}
