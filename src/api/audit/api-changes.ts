import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, EventRecorder, RegistryEvent } from '../../events/recorder.ts';
import { callerOf, refusedPrincipalOf } from '../context.ts';

type Json = Record<string, unknown>;
interface Described {
  action: string;
  repository?: string;
  subject?: string;
  detail?: Json;
}
/** What a successful change records, from its route parameters, request body and answer. */
type Describe = (params: Json, body: Json, answer: Json) => Described;

/** Copies only the named fields that are present: bodies also carry passwords, which are never recorded. */
function pick(from: Json, keys: readonly string[]): Json {
  return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
}

const str = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * Every changing management route and the audit record it makes (docs/audit.md lists the actions).
 * Keys are `<METHOD> <route url>` as Fastify names the route.
 */
const CHANGES: Record<string, Describe> = {
  'PATCH /api/registry': (_p, b, a) => ({
    action: 'registry.updated',
    detail: { ...pick(b, ['adminUserEnabled', 'anonymousPullEnabled', 'policies', 'properties']), ...pick(a, ['trustDataDeleted']) },
  }),
  'POST /api/registry/credentials/renew': (_p, b) => ({ action: 'admin.password.renewed', subject: str(b.name) }),
  'PATCH /api/registry/contentTrust': (_p, b, a) => ({
    action: 'policy.changed', repository: str(b.repository), subject: str(b.status), detail: { ...pick(b, ['status', 'repository']), ...pick(a, ['trustDataDeleted']) },
  }),
  'POST /api/registry/contentTrust/reset': (_p, b, a) => ({ action: 'trust.reset', repository: str(b.repository), detail: pick(a, ['trustDataDeleted']) }),
  'POST /api/registry/importImage': (_p, b) => ({
    action: 'import.started',
    subject: str((b.source as Json | undefined)?.sourceImage),
    detail: { source: pick((b.source as Json | undefined) ?? {}, ['registryUri', 'sourceImage']), ...pick(b, ['targetTags', 'untaggedTargetRepositories', 'mode', 'includeReferrers']) },
  }),
  'POST /api/roleAssignments': (_p, b, a) => ({
    action: 'role.assigned', subject: str(a.name), detail: { ...pick(b, ['role', 'scope', 'assignee', 'assigneeObjectId']), ...pick(a, ['principalId', 'principalName', 'principalType', 'roleDefinitionName']) },
  }),
  'DELETE /api/roleAssignments/:name': (p) => ({ action: 'role.unassigned', subject: str(p.name) }),
  'POST /api/users': (_p, b) => ({ action: 'user.created', subject: str(b.userPrincipalName), detail: { ...pick(b, ['displayName']), passwordGiven: b.password !== undefined } }),
  'PATCH /api/users/:user': (p, b) => ({ action: 'user.updated', subject: str(p.user), detail: { ...pick(b, ['accountEnabled', 'displayName']), passwordChanged: b.password !== undefined } }),
  'DELETE /api/users/:user': (p) => ({ action: 'user.deleted', subject: str(p.user) }),
  'POST /api/servicePrincipals': (_p, b, a) => ({ action: 'serviceprincipal.created', subject: str(a.appId), detail: pick(b, ['name', 'role', 'scopes', 'years']) }),
  'PATCH /api/servicePrincipals/:servicePrincipal': (p, b) => ({ action: 'serviceprincipal.updated', subject: str(p.servicePrincipal), detail: pick(b, ['displayName', 'accountEnabled']) }),
  'DELETE /api/servicePrincipals/:servicePrincipal': (p) => ({ action: 'serviceprincipal.deleted', subject: str(p.servicePrincipal) }),
  'POST /api/servicePrincipals/:servicePrincipal/credentials/reset': (p, b) => ({ action: 'serviceprincipal.credentials.reset', subject: str(p.servicePrincipal), detail: pick(b, ['years']) }),
  'POST /api/scopeMaps': (_p, b) => ({ action: 'scopemap.created', subject: str(b.name), detail: pick(b, ['actions', 'description']) }),
  'PATCH /api/scopeMaps/:scopeMap': (p, b) => ({ action: 'scopemap.updated', subject: str(p.scopeMap), detail: pick(b, ['addActions', 'removeActions', 'description']) }),
  'DELETE /api/scopeMaps/:scopeMap': (p) => ({ action: 'scopemap.deleted', subject: str(p.scopeMap) }),
  'POST /api/tokens': (_p, b) => ({ action: 'token.created', subject: str(b.name), detail: pick(b, ['scopeMap', 'repositories', 'status', 'noPasswords', 'expiry']) }),
  'PATCH /api/tokens/:token': (p, b) => ({ action: 'token.updated', subject: str(p.token), detail: pick(b, ['scopeMap', 'status']) }),
  'DELETE /api/tokens/:token': (p) => ({ action: 'token.deleted', subject: str(p.token) }),
  'POST /api/tokens/:token/credentials/generate': (p, b) => ({ action: 'token.credentials.generated', subject: str(p.token), detail: pick(b, ['passwords', 'expiry']) }),
  'DELETE /api/tokens/:token/credentials/:password': (p) => ({ action: 'token.credentials.deleted', subject: str(p.token), detail: pick(p, ['password']) }),
  'POST /api/webhooks': (_p, b) => ({ action: 'webhook.created', subject: str(b.name), detail: { ...pick(b, ['uri', 'actions', 'scope', 'status']), headers: Object.keys((b.headers as Json | undefined) ?? {}) } }),
  'PATCH /api/webhooks/:webhook': (p, b, a) => ({
    action: 'webhook.updated',
    subject: str(a.name) || str(p.webhook),
    detail: { ...pick(b, ['uri', 'actions', 'scope', 'status', 'regenerateSecret']), ...(b.headers === undefined ? {} : { headers: Object.keys(b.headers as Json) }) },
  }),
  'DELETE /api/webhooks/:webhook': (p) => ({ action: 'webhook.deleted', subject: str(p.webhook) }),
};

const MAX_ANSWER = 64 * 1024;

/** The JSON answer of a recorded change (onSend keeps it; onResponse reads it). */
const answers = new WeakMap<FastifyRequest, Json>();

function routeKey(req: FastifyRequest): string {
  return `${req.method} ${req.routeOptions.url ?? ''}`;
}

/** onSend: keeps the answer of a change that will be recorded (created ids, counts). */
export function keepChangeAnswer(req: FastifyRequest, payload: unknown): void {
  if (!(routeKey(req) in CHANGES) || typeof payload !== 'string' || payload.length > MAX_ANSWER) return;
  try {
    const parsed = JSON.parse(payload) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) answers.set(req, parsed as Json);
  } catch {
    // Not JSON: nothing to keep.
  }
}

/**
 * onResponse: records a successful change (2xx) of the table above, and every 403 as
 * `request.denied`. After the answer went out, so the caller never waits for it.
 */
export function recordApiChange(events: EventRecorder, req: FastifyRequest, reply: FastifyReply): void {
  const actor = callerName(req);
  if (reply.statusCode === 403) {
    events.record({ action: 'request.denied', actor, detail: { method: req.method, route: req.routeOptions.url ?? req.url.split('?')[0] ?? '' } });
    return;
  }
  const describe = CHANGES[routeKey(req)];
  if (!describe || reply.statusCode < 200 || reply.statusCode >= 300) return;
  const asJson = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
  const described = describe(asJson(req.params), asJson(req.body), answers.get(req) ?? {});
  const event: RegistryEvent = { ...described, actor };
  events.record(event);
}

/**
 * The authenticated caller, if authentication got that far; for the admin account and scoped
 * tokens, which authenticate but are refused (caller.ts), who they were.
 */
function callerName(req: FastifyRequest): Actor {
  try {
    return { name: callerOf(req).name };
  } catch {
    return refusedPrincipalOf(req);
  }
}
