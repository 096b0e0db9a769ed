import { WharfError } from '../../errors/wharf-error.ts';
import { isRepoName } from '../../oci/names.ts';
import type { PolicyChangeResult } from '../../trust/content-trust-admin.ts';
import { nameCoveredBy, parseOverridePattern, statusFor, type TrustPolicy, type TrustStatus } from '../../trust/policy.ts';
import type { RepositoryPattern } from '../../auth/repository-pattern.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';

/** The header a policy change that deletes trust data must carry (spec 5.4). */
export const CONFIRM_HEADER = 'x-wharf-confirm';
export const CONFIRM_VALUE = 'delete-trust-data';

export interface PolicyView {
  status: TrustStatus;
  type: 'Notary';
  repository?: string;
  repositories?: { repository: string; status: TrustStatus }[];
  trustDataDeleted?: number;
}

/**
 * The content trust policy resource (spec 5): viewing needs registry/read, changing it
 * registry/write (Owner, Contributor), resetting one repository trust/reset at that repository.
 */
export class ContentTrustService {
  readonly #ctx: ApiContext;

  constructor(ctx: ApiContext) {
    this.#ctx = ctx;
  }

  async show(caller: Caller, repository: string | undefined): Promise<PolicyView> {
    await this.#ctx.authz.require(caller, 'registry/read');
    return view(await this.#ctx.contentTrust.policy(), repository === undefined ? undefined : parseOverridePattern(repository));
  }

  async update(caller: Caller, change: { status: TrustStatus | 'inherit'; repository?: string }, confirmed: boolean): Promise<PolicyView> {
    await this.#ctx.authz.require(caller, 'registry/write');
    const result = await this.#change(change, confirmed);
    const pattern = change.repository === undefined ? undefined : parseOverridePattern(change.repository);
    return { ...view(result.policy, pattern), trustDataDeleted: result.trustDataDeleted };
  }

  async #change(change: { status: TrustStatus | 'inherit'; repository?: string }, confirmed: boolean): Promise<PolicyChangeResult> {
    if (change.repository === undefined) {
      if (change.status === 'inherit') throw new WharfError('INVALID_REQUEST', 'status inherit removes a repository override: give repository');
      return this.#ctx.contentTrust.change({ scope: 'registry', status: change.status }, confirmed);
    }
    const repository = parseOverridePattern(change.repository);
    return this.#ctx.contentTrust.change({ scope: 'repository', repository, status: change.status }, confirmed);
  }

  async reset(caller: Caller, repository: string, confirmed: boolean): Promise<{ repository: string; trustDataDeleted: boolean }> {
    if (!isRepoName(repository)) throw new WharfError('INVALID_REQUEST', `invalid repository name: ${repository.slice(0, 300)}`);
    await this.#ctx.authz.require(caller, 'trust/reset', { kind: 'repository', pattern: repository as string as RepositoryPattern });
    return { repository, trustDataDeleted: await this.#ctx.contentTrust.reset(repository, confirmed) };
  }
}

/** `{status, type}` (spec 7); for a pattern, the status that applies to the repositories it names. */
function view(policy: TrustPolicy, pattern: RepositoryPattern | undefined): PolicyView {
  if (pattern !== undefined) {
    const exact = policy.overrides.find((o) => o.repository === pattern);
    return { repository: pattern, status: exact?.status ?? statusFor(policy, nameCoveredBy(pattern)), type: 'Notary' };
  }
  const repositories = policy.overrides.map((o) => ({ repository: o.repository as string, status: o.status }));
  return { status: policy.status, type: 'Notary', ...(repositories.length > 0 && { repositories }) };
}
