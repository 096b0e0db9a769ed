import Type from 'typebox';
import { WEBHOOK_ACTIONS } from '../../events/webhook-events.ts';
import { ArmTime } from '../schemas.ts';

const Name = Type.String({ pattern: '^[A-Za-z0-9]{5,50}$', description: '5-50 letters and digits (az acr webhook)' });

/** `wharf webhook show|list|create` (az acr webhook's shape; header values and the secret are never shown again). */
export const Webhook = Type.Object({
  actions: Type.Array(Type.String()),
  creationDate: ArmTime,
  customHeaders: Type.Array(Type.String(), { description: 'names of the custom headers (values are sealed)' }),
  id: Type.String({ description: '<registryId>/webhooks/<name>' }),
  name: Type.String(),
  provisioningState: Type.Literal('Succeeded'),
  resourceGroup: Type.String(),
  scope: Type.String(),
  secret: Type.Optional(Type.String({ description: 'the HMAC-SHA256 key, only in the create answer and in an update that regenerates it' })),
  serviceUri: Type.String(),
  status: Type.Enum(['enabled', 'disabled']),
  type: Type.Literal('Wharf.ContainerRegistry/registries/webhooks'),
});

const Uri = Type.String({ minLength: 1, maxLength: 2048, description: 'http(s) URL the events are POSTed to' });
const Actions = Type.Array(Type.Enum([...WEBHOOK_ACTIONS]), { minItems: 1, uniqueItems: true });
const Scope = Type.String({ maxLength: 256, description: "repository, prefix/* or *; '' or absent: every event" });
const Status = Type.Enum(['enabled', 'disabled']);
// Names outside the pattern are refused too (a record schema alone would let them through as unlisted properties).
const headers = (description: string) => Type.Record(
  Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]{1,100}$' }), Type.String({ maxLength: 4096 }), { additionalProperties: false, description },
);

export const WebhookCreate = Type.Object(
  {
    name: Name,
    uri: Uri,
    actions: Actions,
    scope: Type.Optional(Scope),
    status: Type.Optional(Status),
    headers: Type.Optional(headers('custom headers sent with every delivery (sealed at rest)')),
  },
  { additionalProperties: false },
);

/** `wharf webhook update` (az acr webhook update): only the fields sent change. */
export const WebhookUpdate = Type.Object(
  {
    uri: Type.Optional(Uri),
    actions: Type.Optional(Actions),
    scope: Type.Optional(Scope),
    status: Type.Optional(Status),
    headers: Type.Optional(headers('replaces every custom header (sealed at rest); {} removes them')),
    regenerateSecret: Type.Optional(Type.Boolean({ description: 'a new HMAC secret, shown once in this answer; the old one stops signing at once' })),
  },
  { additionalProperties: false },
);

export const WebhookParams = Type.Object({ webhook: Type.String() });

export const DeliveriesQuery = Type.Object(
  { top: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'default 100, at most 1000' })) },
  { additionalProperties: false },
);

const Attempt = Type.Object({ time: Type.String(), durationMs: Type.Integer(), statusCode: Type.Optional(Type.Integer()), error: Type.Optional(Type.String()) });

/** `wharf webhook list-events`: one delivery with every attempt. */
export const Delivery = Type.Object({
  id: Type.Integer(),
  eventId: Type.String(),
  eventType: Type.String(),
  status: Type.Enum(['pending', 'delivered', 'failed']),
  statusCode: Type.Optional(Type.Integer({ description: 'of the last attempt' })),
  attempts: Type.Array(Attempt),
  nextAttemptTime: Type.Optional(Type.String({ description: 'while pending' })),
  createdTime: Type.String(),
  payload: Type.String({ description: 'the exact body sent' }),
});
