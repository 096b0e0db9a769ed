import type { RepositoryPattern } from '../auth/repository-pattern.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { TrustDocs } from '../storage/metadata-store.ts';
import { nameCoveredBy, parseTrustPolicy, serializeTrustPolicy, statusFor, withOverride, type TrustPolicy, type TrustStatus } from './policy.ts';
import type { SignedTagsCache } from './signed-tags-cache.ts';
import type { Gun } from './types.ts';

/** Where the policy is stored (the registry settings record), read without a cache. */
export interface TrustPolicyStore {
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
}

export interface ContentTrustAdminDeps {
  store: TrustPolicyStore;
  docs: TrustDocs;
  /** Deletes every version of every role of the GUN and retires (erases) its server keys (TrustService.delete). */
  deleteGun: (gun: Gun) => Promise<void>;
  signedTags: SignedTagsCache;
}

/** A policy change: the registry-wide state, or one repository pattern's override (`inherit` removes it). */
export type PolicyChange =
  | { scope: 'registry'; status: TrustStatus }
  | { scope: 'repository'; repository: RepositoryPattern; status: TrustStatus | 'inherit' };

export interface PolicyChangeResult {
  policy: TrustPolicy;
  /** GUNs (repositories) whose trust data the change deleted. */
  trustDataDeleted: number;
}

/**
 * Changes to the content trust policy and their data consequences (spec 5.4). No HTTP. A change
 * that turns repositories to `disabled` needs confirmation, then deletes the trust data and
 * server-held keys of every repository now disabled, irreversibly; images stay.
 */
export class ContentTrustAdmin {
  readonly #deps: ContentTrustAdminDeps;

  constructor(deps: ContentTrustAdminDeps) {
    this.#deps = deps;
  }

  async policy(): Promise<TrustPolicy> {
    return parseTrustPolicy(await this.#deps.store.read());
  }

  async change(change: PolicyChange, confirmed: boolean): Promise<PolicyChangeResult> {
    const before = await this.policy();
    const after = change.scope === 'registry'
      ? { status: change.status, overrides: before.overrides }
      : withOverride(before, change.repository, change.status === 'inherit' ? undefined : change.status);
    if (disables(change, before, after) && !confirmed) throw new WharfError('CONTENT_TRUST_DISABLE_NOT_CONFIRMED');
    await this.#deps.store.write(serializeTrustPolicy(after));
    this.#deps.signedTags.invalidate();
    const trustDataDeleted = await this.#deleteWhere((repo) => statusFor(after, repo) === 'disabled');
    return { policy: after, trustDataDeleted };
  }

  /**
   * Deletes one repository's trust data under every host name (spec 5.4 per-repository reset, the
   * lost-root-key recovery); other repositories are untouched. Needs confirmation; true when
   * something was deleted.
   */
  async reset(repo: string, confirmed: boolean): Promise<boolean> {
    if (!confirmed) throw new WharfError('CONTENT_TRUST_DISABLE_NOT_CONFIRMED', 'resetting a repository\'s trust data deletes it irreversibly; confirm with the header x-wharf-confirm: delete-trust-data');
    const deleted = await this.#deleteWhere((r) => r === repo);
    return deleted > 0;
  }

  async #deleteWhere(matches: (repo: string) => boolean): Promise<number> {
    let deleted = 0;
    for (const gun of await this.#deps.docs.guns()) {
      if (!matches(gun.slice(gun.indexOf('/') + 1))) continue;
      await this.#deps.deleteGun(gun);
      this.#deps.signedTags.invalidate(gun);
      deleted++;
    }
    return deleted;
  }
}

/**
 * Whether the change turns something off (spec 5.4: enabled/enforced → disabled must be confirmed):
 * the registry-wide state, or the state of the repositories the changed pattern covers.
 */
function disables(change: PolicyChange, before: TrustPolicy, after: TrustPolicy): boolean {
  if (change.scope === 'registry') return before.status !== 'disabled' && after.status === 'disabled';
  const probe = nameCoveredBy(change.repository);
  return statusFor(before, probe) !== 'disabled' && statusFor(after, probe) === 'disabled';
}
