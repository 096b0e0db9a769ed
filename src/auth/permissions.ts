import { isRepoName, type RepoName } from '../oci/names.ts';
import { sortActions, type Scope, type TokenAction } from './scopes.ts';

/**
 * The one permission vocabulary (shared/specs/access-and-policy.md 3 and 4). Roles, scope maps, the
 * admin account and anonymous pull all reduce to sets of these; the token service and the HTTP gate
 * only ever look at permissions. The first six are the scope-map actions clients and IaC write.
 */
export const PERMISSIONS = {
  'content/read': 'pull manifests, blobs, tag lists, referrers; read trust data',
  'content/write': 'push (use with content/read)',
  'content/delete': 'delete manifests, tags, blobs, the repository',
  'metadata/read': '/acr/v1 attributes, tag and manifest listings',
  'metadata/write': 'untag, lock attributes (writeEnabled …)',
  'content/sign': 'read and write trust data (publish, server key fetch/rotation, trust DELETE)',
  'content/delete-referrers': 'delete manifests that carry a subject (AcrPush, footnote 3; content/write in scope maps)',
  'repository/import': 'import into the repository (target side of wharf import)',
  'trust/reset': 'reset the repository\'s trust data from the management API',
  'access/read': 'view role assignments',
  'access/write': 'create and delete role assignments',
  'registry/read': 'view the registry and its settings, no secrets; the registry-wide trust changefeed',
  'registry/write': 'change registry settings (trust policy, adminUserEnabled, anonymousPullEnabled, …)',
  'registry/credentials': 'tokens, scope maps, admin credentials',
  'registry/catalog': 'list repositories (_catalog)',
} as const;
export type Permission = keyof typeof PERMISSIONS;

export const SCOPE_MAP_ACTIONS = ['content/read', 'content/write', 'content/delete', 'metadata/read', 'metadata/write', 'content/sign'] as const;
export type ScopeMapAction = (typeof SCOPE_MAP_ACTIONS)[number];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

/** What the admin account holds on every repository: the five ACR actions (spec 2), never content/sign. */
export const ADMIN_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'content/read', 'content/write', 'content/delete', 'content/delete-referrers', 'metadata/read', 'metadata/write',
]);

/** The admin account's registry-level permissions: `_catalog` [W] (spec 2); no management API. */
export const ADMIN_REGISTRY_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(['registry/catalog']);

const NOTHING: ReadonlySet<Permission> = new Set();
const ANONYMOUS_PULL: ReadonlySet<Permission> = new Set<Permission>(['content/read']);

/** What an anonymous request holds on every repository: `pull` when the registry allows anonymous pull. */
export function anonymousPermissions(anonymousPullEnabled: boolean): ReadonlySet<Permission> {
  return anonymousPullEnabled ? ANONYMOUS_PULL : NOTHING;
}

/** An identity (user, service principal) with role assignments, the admin account, a scoped token, or nobody. */
export type PrincipalKind = 'identity' | 'admin' | 'scoped-token' | 'anonymous';

/** What the token service knows about the caller when it computes a grant. */
export interface GrantFacts {
  readonly kind: PrincipalKind;
  /** Permissions held on a repository: effectivePermissions, scopeMapPermissions, ADMIN_PERMISSIONS or anonymousPermissions. */
  heldOn(repo: RepoName): ReadonlySet<Permission>;
  /** Registry-level permissions: `registryPermissions` for identities, ADMIN_REGISTRY_PERMISSIONS for the admin. */
  readonly registryHeld: ReadonlySet<Permission>;
  /** The repository a GUN of this registry names (GunPolicy.parse), undefined for any other name. */
  gunRepository(name: string): RepoName | undefined;
}

/**
 * A token action granted on an entry; `*` appears only for `registry:catalog`, where it is not a
 * wildcard but that resource's one action (the one distribution and notary demand for the catalog).
 */
export type GrantedAction = TokenAction | '*';

/**
 * The concrete actions the token service grants for one requested access entry (spec 4 mapping):
 * the intersection of what is asked and what is held, possibly empty, never an error. `*` on a
 * repository or GUN expands to every held action. GUN names are checked before repository names
 * (a GUN like `reg.example.com/app` is also a well-formed repository name). Result in token order.
 */
export function grantActions(request: Pick<Scope, 'type' | 'name' | 'actions'>, facts: GrantFacts): GrantedAction[] {
  if (request.type === 'registry') return grantCatalog(request, facts);
  if (request.type !== 'repository') return [];
  const gunRepo = facts.gunRepository(request.name);
  if (gunRepo !== undefined) return grantOnGun(request.actions, facts.heldOn(gunRepo), facts.kind);
  if (!isRepoName(request.name)) return [];
  return grantOnRepository(request.actions, facts.heldOn(request.name));
}

function grantCatalog(request: Pick<Scope, 'name' | 'actions'>, facts: GrantFacts): GrantedAction[] {
  if (request.name !== 'catalog' || !request.actions.has('*')) return [];
  // Registry-scope role with pull; the admin account too [W]; never scoped tokens or anonymous (spec 2, 4).
  const allowed = (facts.kind === 'admin' || facts.kind === 'identity') && facts.registryHeld.has('registry/catalog');
  return allowed ? ['*'] : [];
}

/** GUN `pull` ← content/read or content/sign; `push` ← content/sign, never for the admin account (spec 2). */
function grantOnGun(asked: ReadonlySet<string>, held: ReadonlySet<Permission>, kind: PrincipalKind): GrantedAction[] {
  const all = asked.has('*');
  const granted: TokenAction[] = [];
  if ((all || asked.has('pull')) && (held.has('content/read') || held.has('content/sign'))) granted.push('pull');
  if ((all || asked.has('push')) && held.has('content/sign') && kind !== 'admin') granted.push('push');
  return granted;
}

/** Repository action → the permission that grants it (spec 4 mapping). */
const REPOSITORY_ACTION_PERMISSION: Readonly<Record<TokenAction, Permission>> = {
  pull: 'content/read',
  push: 'content/write',
  delete: 'content/delete',
  deleteReferrers: 'content/delete-referrers',
  metadataRead: 'metadata/read',
  metadataWrite: 'metadata/write',
};

function grantOnRepository(asked: ReadonlySet<string>, held: ReadonlySet<Permission>): GrantedAction[] {
  const all = asked.has('*');
  const granted = new Set<TokenAction>();
  for (const [action, permission] of Object.entries(REPOSITORY_ACTION_PERMISSION) as [TokenAction, Permission][]) {
    if ((all || asked.has(action)) && held.has(permission)) granted.add(action);
  }
  // Clients ask `delete` for any manifest; one who may delete only referrers (AcrPush) gets the narrower
  // action, which the gate accepts only for manifests with a subject.
  if (asked.has('delete') && !granted.has('delete') && held.has('content/delete-referrers')) granted.add('deleteReferrers');
  // `deleteReferrers` is implied by `delete`; listing both would only lengthen the token.
  if (granted.has('delete')) granted.delete('deleteReferrers');
  return sortActions(granted);
}
