import type { CliErrorKind } from './cli-error.ts';

export type CheckStatus = 'ok' | 'warning' | 'error' | 'skipped';

/** One line of `wharf check-health`: what was checked, what was found, and what to do about it. */
export interface HealthCheck {
  /** Stable identifier: dockerClient, dns, tls, challenge, clockSkew, token, trustServer... */
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found, one line. */
  readonly message: string;
  /** For warnings and errors: a stable code in az's style (CONNECTIVITY_DNS_ERROR...). */
  readonly code?: string;
  /** What to do about a warning or error. */
  readonly hint?: string;
  /** For errors: which exit code a failure of this check gives (docs/cli.md). */
  readonly kind?: CliErrorKind;
  readonly details?: Record<string, unknown>;
}

/** The structured result (`-o json`): every check run, in order. */
export interface HealthReport {
  /** The registry checked; null when only the local environment was. */
  readonly registry: string | null;
  /** No check ended in an error. */
  readonly healthy: boolean;
  readonly checks: readonly HealthCheck[];
}

/** One check as text, as az acr check-health prints it: `<what> : OK`, or the error code, message and hint. */
export function formatCheck(check: HealthCheck): string {
  const hint = check.hint === undefined ? '' : `  Hint: ${check.hint}\n`;
  switch (check.status) {
    case 'ok':
      return `${check.message} : OK\n`;
    case 'skipped':
      return `${check.message} : SKIPPED\n`;
    case 'warning':
      return `WARNING: ${check.code}: ${check.message}\n${hint}`;
    case 'error':
      return `An error occurred: ${check.code}\n${check.message}\n${hint}`;
  }
}

/** The report without the exit-code kinds, which are the CLI's business, not the result's. */
export function reportOf(registry: string | null, checks: readonly HealthCheck[]): HealthReport {
  return {
    registry,
    healthy: checks.every((c) => c.status !== 'error'),
    checks: checks.map(({ kind: _kind, ...shown }) => shown),
  };
}
