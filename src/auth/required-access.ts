import type { GrantedAction, Permission } from './permissions.ts';
import { formatScope } from './scopes.ts';

/**
 * "Required action per request" (shared/specs/access-and-policy.md 4) as data: what each /v2 registry
 * route, trust route and /acr/v1 metadata route needs, as held permissions (Basic credentials checked
 * directly) and as token actions (Bearer tokens), plus the scope its 401 challenge names (spec 1.1).
 */
export type Surface = 'registry' | 'trust' | 'metadata';
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Route kinds. registry: `base` /v2/, `catalog` /v2/_catalog, `manifest`, `blob`, `tags`, `referrers`,
 * `upload-start` POST …/blobs/uploads/, `upload` …/blobs/uploads/<id>. trust: `tuf` /v2/<g>/_trust/tuf/
 * (publish, delete), `tuf-file` <role>.json in every spelling, `key` {timestamp,snapshot}.key,
 * `changefeed` of a GUN, `registry-changefeed` /v2/_trust/changefeed, `health` /_notary_server/health.
 * metadata: /acr/v1 `catalog`, `repository`, `tags`, `tag`, `manifests`, `manifest`.
 */
export type RouteKind =
  | 'base' | 'catalog' | 'manifest' | 'blob' | 'tags' | 'referrers' | 'upload-start' | 'upload'
  | 'tuf' | 'tuf-file' | 'key' | 'changefeed' | 'registry-changefeed' | 'health'
  | 'repository' | 'tag' | 'manifests';

export interface AccessQuery {
  readonly surface: Surface;
  readonly method: Method;
  readonly route: RouteKind;
  /** For manifests: whether `<ref>` is a tag or a digest. */
  readonly reference?: 'tag' | 'digest';
  /** For DELETE of a manifest by digest: whether the stored manifest has a `subject`; absent counts as false. */
  readonly hasSubject?: boolean;
}

/** One condition; met when any one of `permissions` is held, or any one of `actions` is in the token entry. */
export interface Need {
  /** Which token entry: the route's own name (repository or GUN, as the path spells it), the mount source, or `registry:catalog`. */
  readonly on: 'name' | 'mount-source' | 'catalog';
  readonly permissions: readonly Permission[];
  readonly actions: readonly GrantedAction[];
  /** Unmet, the request still proceeds without the feature (a mount falls back to a plain upload). */
  readonly optional?: true;
}

export interface RequiredAccess {
  /** `none`: open to all; `credential`: any valid credential, no action needed; `authorized`: every need met. */
  readonly authentication: 'none' | 'credential' | 'authorized';
  readonly needs: readonly Need[];
  /** The challenge's scope, actions in the reference servers' order; absent: no `scope` parameter. */
  readonly challenge?: { readonly on: 'name' | 'catalog'; readonly actions: readonly string[] };
}

const need = (permissions: readonly Permission[], actions: readonly GrantedAction[]): Need => ({ on: 'name', permissions, actions });
const PULL = need(['content/read'], ['pull']);
const PUSH = need(['content/write'], ['push']);
const DELETE = need(['content/delete'], ['delete']);
const DELETE_REFERRER = need(['content/delete', 'content/delete-referrers'], ['delete', 'deleteReferrers']);
const METADATA_READ = need(['metadata/read'], ['metadataRead']);
const METADATA_WRITE = need(['metadata/write'], ['metadataWrite']);
const GUN_PULL = need(['content/read', 'content/sign'], ['pull']);
const GUN_PUSH = need(['content/sign'], ['push']);
const MOUNT_SOURCE: Need = { on: 'mount-source', permissions: ['content/read'], actions: ['pull'], optional: true };

const on = (needs: readonly Need[], actions: readonly string[]): RequiredAccess =>
  ({ authentication: 'authorized', needs, challenge: { on: 'name', actions } });
const catalog = (permission: Permission): RequiredAccess => ({
  authentication: 'authorized',
  needs: [{ on: 'catalog', permissions: [permission], actions: ['*'] }],
  challenge: { on: 'catalog', actions: ['*'] },
});

interface Row {
  readonly surface: Surface;
  readonly methods: readonly Method[];
  readonly route: RouteKind;
  readonly reference?: 'tag' | 'digest';
  readonly hasSubject?: true;
  readonly access: RequiredAccess;
}

// First match wins. Challenge orders: registry `pull` / `pull,push` / `delete` (distribution's
// appendAccessRecords), trust `pull` / `push,pull` / `*` (notary-server), spec 1.1.
const TABLE: readonly Row[] = [
  { surface: 'registry', methods: ['GET'], route: 'base', access: { authentication: 'credential', needs: [] } },
  { surface: 'registry', methods: ['GET'], route: 'catalog', access: catalog('registry/catalog') },
  { surface: 'registry', methods: ['GET', 'HEAD'], route: 'manifest', access: on([PULL], ['pull']) },
  { surface: 'registry', methods: ['GET', 'HEAD'], route: 'blob', access: on([PULL], ['pull']) },
  { surface: 'registry', methods: ['GET'], route: 'tags', access: on([PULL], ['pull']) },
  { surface: 'registry', methods: ['GET'], route: 'referrers', access: on([PULL], ['pull']) },
  { surface: 'registry', methods: ['POST'], route: 'upload-start', access: on([PUSH, MOUNT_SOURCE], ['pull', 'push']) },
  { surface: 'registry', methods: ['GET', 'PATCH', 'PUT', 'DELETE'], route: 'upload', access: on([PUSH], ['pull', 'push']) },
  // The tag/manifest writeEnabled attribute is the service's check, not an access one.
  { surface: 'registry', methods: ['PUT'], route: 'manifest', access: on([PUSH], ['pull', 'push']) },
  { surface: 'registry', methods: ['DELETE'], route: 'manifest', reference: 'digest', hasSubject: true, access: on([DELETE_REFERRER], ['delete']) },
  { surface: 'registry', methods: ['DELETE'], route: 'manifest', access: on([DELETE], ['delete']) },
  { surface: 'registry', methods: ['DELETE'], route: 'blob', access: on([DELETE], ['delete']) },

  { surface: 'trust', methods: ['GET'], route: 'tuf-file', access: on([GUN_PULL], ['pull']) },
  { surface: 'trust', methods: ['GET'], route: 'changefeed', access: on([GUN_PULL], ['pull']) },
  { surface: 'trust', methods: ['GET'], route: 'key', access: on([GUN_PUSH], ['push', 'pull']) },
  // Publish is also refused (DENIED) while the repository has writeEnabled=false: a service check.
  { surface: 'trust', methods: ['POST'], route: 'tuf', access: on([GUN_PUSH], ['push', 'pull']) },
  { surface: 'trust', methods: ['POST'], route: 'key', access: on([GUN_PUSH], ['*']) },
  { surface: 'trust', methods: ['DELETE'], route: 'tuf', access: on([GUN_PUSH], ['*']) },
  { surface: 'trust', methods: ['GET'], route: 'registry-changefeed', access: catalog('registry/read') },
  { surface: 'trust', methods: ['GET'], route: 'health', access: { authentication: 'none', needs: [] } },

  { surface: 'metadata', methods: ['GET'], route: 'catalog', access: catalog('registry/catalog') },
  { surface: 'metadata', methods: ['GET'], route: 'repository', access: on([METADATA_READ], ['metadataRead']) },
  { surface: 'metadata', methods: ['GET'], route: 'tags', access: on([METADATA_READ], ['metadataRead']) },
  { surface: 'metadata', methods: ['GET'], route: 'tag', access: on([METADATA_READ], ['metadataRead']) },
  { surface: 'metadata', methods: ['GET'], route: 'manifests', access: on([METADATA_READ], ['metadataRead']) },
  { surface: 'metadata', methods: ['GET'], route: 'manifest', access: on([METADATA_READ], ['metadataRead']) },
  { surface: 'metadata', methods: ['PATCH'], route: 'repository', access: on([METADATA_WRITE], ['metadataWrite']) },
  { surface: 'metadata', methods: ['PATCH', 'DELETE'], route: 'tag', access: on([METADATA_WRITE], ['metadataWrite']) },
  { surface: 'metadata', methods: ['PATCH'], route: 'manifest', access: on([METADATA_WRITE], ['metadataWrite']) },
  // Deletes the repository with its trust data.
  { surface: 'metadata', methods: ['DELETE'], route: 'repository', access: on([DELETE], ['delete']) },
];

/** What a request needs, or undefined when the table has no such route (the router answers first). */
export function requiredAccess(query: AccessQuery): RequiredAccess | undefined {
  const row = TABLE.find(
    (r) =>
      r.surface === query.surface &&
      r.route === query.route &&
      r.methods.includes(query.method) &&
      (r.reference === undefined || r.reference === query.reference) &&
      (r.hasSubject === undefined || r.hasSubject === (query.hasSubject ?? false)),
  );
  return row?.access;
}

/** The challenge's `scope` value for a request on `name` (repository or GUN), or undefined for none. */
export function challengeScope(access: RequiredAccess, name: string): string | undefined {
  const c = access.challenge;
  if (c === undefined) return undefined;
  return c.on === 'catalog' ? formatScope({ type: 'registry', name: 'catalog', actions: c.actions }) : formatScope({ type: 'repository', name, actions: c.actions });
}

/** Whether the held permissions meet the need (Basic credentials, checked live). */
export function meetsByPermissions(need: Need, held: ReadonlySet<Permission>): boolean {
  return need.permissions.some((p) => held.has(p));
}

/** Whether the actions of the token entry named by `need.on` meet it (Bearer tokens). */
export function meetsByToken(need: Need, granted: ReadonlySet<string>): boolean {
  return need.actions.some((a) => granted.has(a));
}
