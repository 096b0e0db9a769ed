import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TrustDocs } from '../storage/metadata-store.ts';
import type { Gun, TufRole } from '../trust/types.ts';
import { requestActor } from './actor.ts';
import type { RegistryEvent } from './recorder.ts';

/** Names listed per kind of target change; the counts are always complete. */
const MAX_LISTED = 100;

type Targets = Map<string, string>;

/** The repository part of a GUN (`<host>/<repository>`). */
function repositoryOf(gun: Gun): string {
  return gun.slice(gun.indexOf('/') + 1);
}

function parseSigned(bytes: Buffer | undefined): { version?: number; targets?: Targets } {
  if (!bytes) return {};
  try {
    const signed = (JSON.parse(bytes.toString('utf8')) as { signed?: { version?: unknown; targets?: Record<string, { hashes?: { sha256?: string } }> } }).signed;
    const version = typeof signed?.version === 'number' ? signed.version : undefined;
    const targets = signed?.targets && typeof signed.targets === 'object'
      ? new Map(Object.entries(signed.targets).map(([name, t]) => [name, t?.hashes?.sha256 ?? '']))
      : undefined;
    return { ...(version === undefined ? {} : { version }), ...(targets && { targets }) };
  } catch {
    return {};
  }
}

/**
 * A trust publish (docker trust sign/revoke, notary publish): which roles it stored at which version,
 * and for each targets role the targets added, removed and changed against the version before it.
 * The previous versions are read in the background, after the publish answered.
 */
export function trustPublished(req: FastifyRequest, gun: Gun, files: ReadonlyMap<string, Buffer>, docs: TrustDocs): RegistryEvent {
  return { action: 'trust.published', actor: requestActor(req), repository: repositoryOf(gun), subject: gun, detail: publishDetail(gun, files, docs) };
}

async function publishDetail(gun: Gun, files: ReadonlyMap<string, Buffer>, docs: TrustDocs): Promise<Record<string, unknown>> {
  const roles: { role: string; version?: number }[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [role, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const now = parseSigned(bytes);
    roles.push({ role, ...(now.version === undefined ? {} : { version: now.version }) });
    if (role !== 'targets' && !role.startsWith('targets/')) continue;
    const before = now.version === undefined || now.version <= 1 ? undefined : await docs.byVersion(gun, role as TufRole, now.version - 1);
    const was = parseSigned(before?.bytes).targets ?? new Map<string, string>();
    for (const [name, hash] of now.targets ?? []) {
      if (!was.has(name)) added.push(name);
      else if (was.get(name) !== hash) changed.push(name);
    }
    for (const name of was.keys()) if (!now.targets?.has(name)) removed.push(name);
  }
  const listed = (names: string[]) => [...new Set(names)].sort().slice(0, MAX_LISTED);
  return { roles, targetsAdded: listed(added), targetsRemoved: listed(removed), targetsChanged: listed(changed) };
}

/** DELETE of a GUN's trust data (notary delete --remote). */
export function trustDeleted(req: FastifyRequest, gun: Gun): RegistryEvent {
  return { action: 'trust.deleted', actor: requestActor(req), repository: repositoryOf(gun), subject: gun, detail: {} };
}

/** A server-held key rotation (notary key rotate <gun> snapshot|timestamp -r). */
export function trustKeyRotated(req: FastifyRequest, gun: Gun, role: string, key: { keytype: string; keyval: { public: string } }): RegistryEvent {
  const publicKeySha256 = createHash('sha256').update(key.keyval.public).digest('hex');
  return { action: 'trust.key.rotated', actor: requestActor(req), repository: repositoryOf(gun), subject: gun, detail: { role, keyType: key.keytype, publicKeySha256 } };
}
