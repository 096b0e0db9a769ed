import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessGate, AccessRequest } from '../auth/access-gate.ts';
import type { EventRecorder } from '../events/recorder.ts';
import { trustDeleted, trustKeyRotated, trustPublished } from '../events/trust-events.ts';
import type { TrustDocs } from '../storage/metadata-store.ts';
import { WharfError } from '../errors/wharf-error.ts';
import { readSmallBody } from '../http/body.ts';
import type { RepoName } from '../oci/names.ts';
import type { TrustHandler } from '../oci/plugin.ts';
import { GunPolicy } from './gun.ts';
import { parseMultipart } from './multipart.ts';
import { parseTrustPath, type TrustPath } from './trust-paths.ts';
import type { TrustService } from './trust-service.ts';
import type { Gun, TrustChange, TrustDoc } from './types.ts';

export interface TrustRouteOptions {
  service: TrustService;
  gunPolicy: GunPolicy;
  access: AccessGate;
  /** Largest publish body accepted (spec 2.6 [R]). */
  maxPublishBytes: number;
  /** Cache-Control max-age of files fetched by role name, and by checksum or version (spec 2.5). */
  currentMaxAgeSeconds: number;
  consistentMaxAgeSeconds: number;
  /** The content trust policy's refusal (policy-gate.ts), asked once the caller is authorized; `undefined`: the registry-wide changefeed. */
  policyCheck?: (repo: RepoName | undefined) => Promise<void>;
  /** Refuses a publish while the repository is write-locked (acr/locks.ts), once the caller is authorized. */
  publishCheck?: (repo: RepoName) => Promise<void>;
  /** The audit log and webhooks: publishes, deletions and key rotations, with the stored documents to compare against. */
  events?: { recorder: EventRecorder; docs: TrustDocs };
}

/** Maps /v2/<gun>/_trust/... and /v2/_trust/changefeed onto the trust service (spec section 3). */
export function trustRoutes(opts: TrustRouteOptions): TrustHandler {
  return async (req, reply, gunPath, rest) => {
    if (gunPath === '' && rest === 'changefeed') return globalChangefeed(opts, req, reply);
    const parsed = opts.gunPolicy.parse(gunPath);
    if (!parsed) throw GunPolicy.rejection(req.method);
    const path = parseTrustPath(rest);
    if (!path || !allowed(path, req.method)) {
      if (!['GET', 'HEAD', 'POST', 'PUT', 'DELETE'].includes(req.method)) return reply.code(405).send();
      throw new WharfError('METADATA_NOT_FOUND');
    }
    // Trust routes are authorized on the GUN, never the repository name (spec 1.1, 4).
    await opts.access.require(req, [{ type: 'repository', name: parsed.gun, actions: actionsFor(path, req.method) }]);
    await opts.policyCheck?.(parsed.repo);
    if (path.kind === 'publish' && req.method === 'POST') await opts.publishCheck?.(parsed.repo);
    return serve(opts, req, reply, parsed.gun, path);
  };
}

async function serve(opts: TrustRouteOptions, req: FastifyRequest, reply: FastifyReply, gun: Gun, path: TrustPath): Promise<void> {
  const { service } = opts;
  switch (path.kind) {
    case 'publish':
      if (req.method === 'DELETE') {
        await service.delete(gun);
        opts.events?.recorder.record(trustDeleted(req, gun));
      } else {
        const body = await readSmallBody(req.raw, opts.maxPublishBytes, 'MALFORMED_UPLOAD');
        const files = parseMultipart(req.headers['content-type'], body);
        await service.publish(gun, files);
        opts.events?.recorder.record(trustPublished(req, gun, files, opts.events.docs));
      }
      return void reply.code(200).header('content-length', 0).send();
    case 'current':
      return sendDoc(reply, await service.current(gun, path.role), currentCaching(opts.currentMaxAgeSeconds));
    case 'checksum':
      return sendDoc(reply, await service.byChecksum(gun, path.role, path.sha256Hex), consistentCaching(opts.consistentMaxAgeSeconds));
    case 'version':
      return sendDoc(reply, await service.byVersion(gun, path.role, path.version), consistentCaching(opts.consistentMaxAgeSeconds));
    case 'key': {
      const key = req.method === 'POST' ? await service.rotateKey(gun, path.role) : await service.key(gun, path.role);
      if (req.method === 'POST') opts.events?.recorder.record(trustKeyRotated(req, gun, path.role, key));
      return void sendJsonBody(reply, key);
    }
    case 'changefeed':
      return void sendJsonBody(reply, changefeedBody(await service.changes({ gun, ...changefeedQuery(req) })));
  }
}

async function globalChangefeed(opts: TrustRouteOptions, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (req.method !== 'GET') throw new WharfError('METADATA_NOT_FOUND');
  await opts.access.require(req, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  await opts.policyCheck?.(undefined);
  sendJsonBody(reply, changefeedBody(await opts.service.changes(changefeedQuery(req))));
}

function allowed(path: TrustPath, method: string): boolean {
  switch (path.kind) {
    case 'publish':
      return method === 'POST' || method === 'DELETE';
    case 'key':
      return method === 'GET' || method === 'POST';
    default:
      // HEAD answers like GET without a body (spec 2.5 [R]).
      return method === 'GET' || method === 'HEAD';
  }
}

/** Access per endpoint (spec 10.2), in notary-server's challenge order (`push,pull`, spec 1.1). */
function actionsFor(path: TrustPath, method: string): AccessRequest['actions'] {
  if (path.kind === 'publish') return method === 'DELETE' ? ['*'] : ['push', 'pull'];
  if (path.kind === 'key') return method === 'POST' ? ['*'] : ['push', 'pull'];
  return ['pull'];
}

/** Cache headers as the reference sends them (spec 2.5); 0 forbids caching. */
type Caching = Record<string, string>;
const NO_CACHE: Caching = { 'cache-control': 'max-age=0, no-cache, no-store', pragma: 'no-cache' };

function currentCaching(maxAge: number): Caching {
  return maxAge > 0 ? { 'cache-control': `public, max-age=${maxAge}, s-maxage=${maxAge}, must-revalidate` } : NO_CACHE;
}

function consistentCaching(maxAge: number): Caching {
  return maxAge > 0 ? { 'cache-control': `public, max-age=${maxAge}, s-maxage=${maxAge}` } : NO_CACHE;
}

function sendDoc(reply: FastifyReply, doc: TrustDoc, caching: Caching): void {
  reply.headers({
    'content-type': 'application/json',
    'content-length': doc.bytes.length,
    'last-modified': new Date(doc.createdAt).toUTCString(),
    ...caching,
  });
  reply.send(reply.request.method === 'HEAD' ? undefined : doc.bytes);
}

function sendJsonBody(reply: FastifyReply, value: unknown): void {
  reply.header('content-type', 'application/json').send(Buffer.from(JSON.stringify(value)));
}

/** records is required (0 = 100), change_id defaults to 0; bad values are INVALID_PARAMETERS (spec 9). */
function changefeedQuery(req: FastifyRequest): { changeId: number; records: number } {
  const url = new URL(req.url, 'http://x');
  const rawRecords = url.searchParams.get('records') ?? '';
  const rawChange = url.searchParams.get('change_id') ?? '0';
  if (!/^-?\d{1,9}$/.test(rawRecords)) {
    throw new WharfError('INVALID_PARAMETERS', undefined, { detail: `invalid records parameter: ${JSON.stringify(rawRecords)}` });
  }
  if (!/^-?\d{1,15}$/.test(rawChange)) throw new WharfError('INVALID_PARAMETERS', undefined, { detail: {} });
  const records = Number(rawRecords);
  return { changeId: Number(rawChange), records: records === 0 ? 100 : records };
}

function changefeedBody(changes: TrustChange[]) {
  return {
    count: changes.length,
    records: changes.map((c) => ({
      ID: String(c.id),
      CreatedAt: new Date(c.createdAt).toISOString(),
      GUN: c.gun,
      Version: c.version,
      SHA256: c.sha256Hex,
      Category: c.category,
    })),
  };
}
