import Type from 'typebox';
import { verifyAuditChain } from '../../events/audit-verify.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { AuditRecord } from '../../storage/metadata-store.ts';
import { callerOf, type ApiApp, type ApiContext } from '../context.ts';
import { errors } from '../schemas.ts';
import type { AuditApiDeps } from './deps.ts';
import { AuditQueryParams, AuditRecordView, ChainVerdictView } from './schemas.ts';

const DEFAULT_TOP = 100;
const MAX_TOP = 1000;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function timeParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw new WharfError('INVALID_REQUEST', `${name} must be an RFC 3339 date-time such as 2027-01-31T00:00:00Z`);
  return at;
}

export function presentRecord(r: AuditRecord) {
  return { seq: r.seq, time: new Date(r.time).toISOString(), action: r.action, actor: r.actor, repository: r.repository, subject: r.subject, detail: r.detail, prevHash: r.prevHash, hash: r.hash };
}

/** `/api/audit` (wharf audit list|verify): registry/read. */
export async function auditRoutes(app: ApiApp, { ctx, audit }: { ctx: ApiContext; audit: AuditApiDeps }): Promise<void> {
  const tags = ['audit'];
  app.get('/audit', {
    schema: { operationId: 'audit_list', summary: 'Audit records, newest first, filtered', tags, querystring: AuditQueryParams, response: { 200: Type.Array(AuditRecordView), ...errors(400) } },
  }, async (req) => {
    await ctx.authz.require(callerOf(req), 'registry/read');
    const q = req.query;
    const since = timeParam('since', q.since);
    const until = timeParam('until', q.until);
    const records = await audit.audit.query({
      ...(q.action === undefined ? {} : { action: q.action }),
      ...(q.repository === undefined ? {} : { repository: q.repository }),
      ...(q.actor === undefined ? {} : { actor: q.actor }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(q.before === undefined ? {} : { beforeSeq: Number(q.before) }),
      limit: Math.min(Number(q.top ?? DEFAULT_TOP), MAX_TOP),
    });
    return records.map(presentRecord);
  });

  app.post('/audit/verify', {
    schema: { operationId: 'audit_verify', summary: 'Recompute the whole hash chain', tags, response: { 200: ChainVerdictView, ...errors() } },
  }, async (req) => {
    await ctx.authz.require(callerOf(req), 'registry/read');
    return verifyAuditChain(audit.audit);
  });
}
