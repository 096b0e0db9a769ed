import type { Permission } from './permissions.ts';

/**
 * The seven built-in RBAC roles (shared/specs/access-and-policy.md 3) as data, with ACR's role
 * definition GUIDs so `roleDefinitionId` values and IaC carry over.
 */
export const ROLE_NAMES = ['Owner', 'Contributor', 'Reader', 'AcrPush', 'AcrPull', 'AcrDelete', 'AcrImageSigner'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export interface RoleDefinition {
  readonly name: RoleName;
  /** ACR's role definition GUID. */
  readonly id: string;
  readonly description: string;
  /** Held on every repository an assignment covers, at registry or repository scope. */
  readonly repository: readonly Permission[];
  /** Held only through a registry-scope assignment (settings, tokens, catalog, registry-wide access view). */
  readonly registry: readonly Permission[];
}

const DATA_ALL: readonly Permission[] = [
  'content/read', 'content/write', 'content/delete', 'content/delete-referrers', 'metadata/read', 'metadata/write', 'content/sign',
];
const PULL: readonly Permission[] = ['content/read', 'metadata/read'];

export const ROLES: Readonly<Record<RoleName, RoleDefinition>> = {
  // Owner and Contributor sign (the 2025 ACR roles reference) [W]. At repository scope an Owner also
  // manages assignments there; Owner and Contributor import into and reset trust of those repositories.
  Owner: {
    name: 'Owner', id: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    description: 'Everything, including role assignments.',
    repository: [...DATA_ALL, 'repository/import', 'trust/reset', 'access/read', 'access/write'],
    registry: ['registry/read', 'registry/write', 'registry/credentials', 'registry/catalog', 'access/read', 'access/write'],
  },
  Contributor: {
    name: 'Contributor', id: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
    description: 'Everything except managing role assignments (which it may view).',
    repository: [...DATA_ALL, 'repository/import', 'trust/reset'],
    registry: ['registry/read', 'registry/write', 'registry/credentials', 'registry/catalog', 'access/read'],
  },
  Reader: {
    name: 'Reader', id: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    description: 'Pull, read trust data, view the registry (no secrets) and its role assignments.',
    repository: PULL,
    registry: ['registry/read', 'registry/catalog', 'access/read'],
  },
  // Metadata write (locks, untag) for AcrPush [W]; deletes only manifests with a subject (footnote 3).
  AcrPush: {
    name: 'AcrPush', id: '8311e382-0749-4cb8-b61a-304f252e45ec',
    description: 'Pull and push; delete referrers only.',
    repository: ['content/read', 'content/write', 'content/delete-referrers', 'metadata/read', 'metadata/write'],
    registry: ['registry/catalog'],
  },
  AcrPull: {
    name: 'AcrPull', id: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
    description: 'Pull and read trust data.',
    repository: PULL,
    registry: ['registry/catalog'],
  },
  AcrDelete: {
    name: 'AcrDelete', id: 'c2f4ef07-c644-48eb-af81-4b1b4947fb11',
    description: 'Delete manifests, tags, blobs and repositories.',
    repository: ['content/delete', 'content/delete-referrers'],
    registry: [],
  },
  // Sign alone reads and writes trust data but not image content (spec 3, "Signed push = push + sign").
  AcrImageSigner: {
    name: 'AcrImageSigner', id: '6cef56e8-d556-48e5-a04f-b8e64114680f',
    description: 'Read and write trust data (sign); no image content.',
    repository: ['content/sign'],
    registry: [],
  },
};

export function isRoleName(value: string): value is RoleName {
  return (ROLE_NAMES as readonly string[]).includes(value);
}

/** The role with this definition GUID (case-insensitive), or undefined. */
export function roleById(id: string): RoleDefinition | undefined {
  const wanted = id.toLowerCase();
  return ROLE_NAMES.map((n) => ROLES[n]).find((r) => r.id === wanted);
}
