import { parseRepositoryPattern, patternMatches, type RepositoryPattern } from '../auth/repository-pattern.ts';
import { WharfError } from '../errors/wharf-error.ts';

/**
 * The content trust policy (shared/specs/access-and-policy.md 5): `disabled` (no trust API, the
 * default, as ACR), `enabled` (the trust API; serving unchanged, as ACR) or `enforced` (the
 * registry serves only signed content, 5.3). Per-repository overrides give matching repositories
 * another state; the most specific pattern wins.
 */
export const TRUST_STATUSES = ['disabled', 'enabled', 'enforced'] as const;
export type TrustStatus = (typeof TRUST_STATUSES)[number];

export interface TrustOverride {
  readonly repository: RepositoryPattern;
  readonly status: TrustStatus;
}

export interface TrustPolicy {
  readonly status: TrustStatus;
  readonly overrides: readonly TrustOverride[];
}

export const DEFAULT_TRUST_POLICY: TrustPolicy = { status: 'disabled', overrides: [] };

export function isTrustStatus(value: unknown): value is TrustStatus {
  return typeof value === 'string' && (TRUST_STATUSES as readonly string[]).includes(value);
}

/**
 * The stored JSON text (`RegistrySettingsRecord.trustPolicy`): `{"type":"Notary","status",
 * "repositories":[{"repository","status"}]}`; undefined (never set) is the default.
 */
export function parseTrustPolicy(text: string | undefined): TrustPolicy {
  if (text === undefined) return DEFAULT_TRUST_POLICY;
  const value = JSON.parse(text) as { status?: unknown; repositories?: { repository?: unknown; status?: unknown }[] };
  const overrides: TrustOverride[] = [];
  for (const o of value.repositories ?? []) {
    const parsed = typeof o.repository === 'string' ? parseRepositoryPattern(o.repository) : undefined;
    if (parsed?.ok && isTrustStatus(o.status)) overrides.push({ repository: parsed.pattern, status: o.status });
  }
  return { status: isTrustStatus(value.status) ? value.status : 'disabled', overrides };
}

export function serializeTrustPolicy(policy: TrustPolicy): string {
  const repositories = [...policy.overrides].sort((a, b) => (a.repository < b.repository ? -1 : 1));
  return JSON.stringify({ type: 'Notary', status: policy.status, ...(repositories.length > 0 && { repositories }) });
}

/** Validates an override pattern: `team/app`, `team/*` or `*`; INVALID_REQUEST otherwise. */
export function parseOverridePattern(value: string): RepositoryPattern {
  const parsed = parseRepositoryPattern(value);
  if (!parsed.ok) throw new WharfError('INVALID_REQUEST', parsed.message);
  return parsed.pattern;
}

/** The override that decides for `repo`: the most specific matching pattern (exact before the longest prefix). */
export function overrideFor(policy: TrustPolicy, repo: string): TrustOverride | undefined {
  let best: TrustOverride | undefined;
  for (const o of policy.overrides) {
    if (!patternMatches(o.repository, repo)) continue;
    if (!best || specificity(o.repository) > specificity(best.repository)) best = o;
  }
  return best;
}

/** The state that applies to the repository. */
export function statusFor(policy: TrustPolicy, repo: string): TrustStatus {
  return overrideFor(policy, repo)?.status ?? policy.status;
}

/** The policy with the override for `repository` set, or removed (`status` undefined). */
export function withOverride(policy: TrustPolicy, repository: RepositoryPattern, status: TrustStatus | undefined): TrustPolicy {
  const others = policy.overrides.filter((o) => o.repository !== repository);
  return { status: policy.status, overrides: status === undefined ? others : [...others, { repository, status }] };
}

/**
 * A name the pattern covers with no more specific pattern in between (`team/*` → `team/_`), so that
 * statusFor(policy, nameCoveredBy(p)) is the state of the repositories `p` itself decides.
 */
export function nameCoveredBy(pattern: RepositoryPattern): string {
  if (pattern === '*') return '_';
  return pattern.endsWith('/*') ? `${pattern.slice(0, -1)}_` : pattern;
}

function specificity(pattern: RepositoryPattern): number {
  if (pattern === '*') return 0;
  // An exact name beats the prefix pattern of the same length or shorter.
  return pattern.endsWith('/*') ? pattern.length * 2 - 1 : pattern.length * 2;
}

/** Reads the stored policy text (through the registry settings' short cache). */
export type TrustPolicySource = () => Promise<string | undefined>;

/** The policy as stored now, parsed once per stored text. */
export class TrustPolicyReader {
  readonly #source: TrustPolicySource;
  #parsed: { text: string | undefined; policy: TrustPolicy } | undefined;

  constructor(source: TrustPolicySource) {
    this.#source = source;
  }

  async policy(): Promise<TrustPolicy> {
    const text = await this.#source();
    if (this.#parsed === undefined || this.#parsed.text !== text) this.#parsed = { text, policy: parseTrustPolicy(text) };
    return this.#parsed.policy;
  }

  async statusFor(repo: string): Promise<TrustStatus> {
    return statusFor(await this.policy(), repo);
  }
}
