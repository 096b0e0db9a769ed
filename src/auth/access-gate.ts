import type { FastifyRequest } from 'fastify';

/** Docker token scope actions on a repository (metadata* for /acr/v1); `registry:catalog:*` lists repositories. */
export type ScopeAction = 'pull' | 'push' | 'delete' | 'metadataRead' | 'metadataWrite' | '*';

export interface AccessRequest {
  type: 'repository' | 'registry';
  /** Repository name, or 'catalog' for the registry type. */
  name: string;
  actions: readonly ScopeAction[];
  /**
   * DELETE of a manifest by digest: whether that manifest carries a `subject`. When it does,
   * `deleteReferrers` (AcrPush; content/write in scope maps) stands in for `delete` (spec 3 footnote 3).
   * Asked only of callers who lack `delete` but hold `deleteReferrers`, so anonymous and unauthorized
   * requests never cause the lookup.
   */
  isReferrer?: () => Promise<boolean>;
}

/**
 * The seam where authentication and authorization plug in: every /v2 handler asks it before
 * doing anything. Implementations throw WharfError UNAUTHORIZED (with a challenge) or DENIED.
 */
export interface AccessGate {
  /** Throws unless the request may do all of `access`. */
  require(req: FastifyRequest, access: readonly AccessRequest[]): Promise<void>;
  /** Whether the request may pull from the repository (cross-repository mount); never throws. */
  mayPull(req: FastifyRequest, repo: string): Promise<boolean>;
}

/** No authentication configured: everything is allowed (the state before access control lands). */
export const OPEN_ACCESS: AccessGate = {
  require: async () => {},
  mayPull: async () => true,
};

// On the request under a symbol rather than in a WeakMap: a WeakMap entry per request costs more in GC.
const PRINCIPAL = Symbol('wharf.principal');
type WithPrincipal = FastifyRequest & { [PRINCIPAL]?: string };

/** Set by the gate once a request is authorized: who it is (a login name, or an access token's `sub`). */
export function rememberPrincipal(req: FastifyRequest, principal: string | undefined): void {
  if (principal !== undefined) (req as WithPrincipal)[PRINCIPAL] = principal;
}

/** Who the gate authorized for this request (audit events); undefined for anonymous or ungated requests. */
export function principalOf(req: FastifyRequest): string | undefined {
  return (req as WithPrincipal)[PRINCIPAL];
}
