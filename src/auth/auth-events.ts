import type { FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import type { Counter } from 'prom-client';
import type { AccessRequest } from './access-gate.ts';
import type { FailureBackoff } from './failure-backoff.ts';
import type { AuthFailureReason } from './identity.ts';
import { NULL_GUID } from './secrets.ts';
import type { TokenRejection } from './token-service.ts';

/** What was presented: a password or secret (Basic, password grant), a refresh token, an access token, or an unreadable header. */
export type CredentialKind = 'password' | 'refresh_token' | 'access_token' | 'header';

export interface AuthFailure {
  readonly credential: CredentialKind;
  readonly reason: AuthFailureReason | TokenRejection | 'unsupported_scheme';
  /** Who the caller claimed to be: the user name tried, or an unverified token's `sub`. Never a secret. */
  readonly principal?: string;
  /** What was asked: `pull,push`, `token` at the token endpoint, `authenticate` for GET /v2/. */
  readonly action: string;
  /** On what: `repository:<name>`, `registry:catalog`, the requested scopes, or the registry. */
  readonly resource: string;
}

export interface AuthDenial {
  /** The authenticated principal: its name (Basic) or its token's `sub`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
}

export interface AuthCounters {
  readonly authFailures: Counter<'reason' | 'credential'>;
  readonly authzDenials: Counter<'action'>;
  readonly authDelayed: Counter;
}

// Longer claimed names are cut: a forged token's `sub` is the sender's text.
const MAX_PRINCIPAL = 256;

/**
 * The one place authentication failures and authorization denials are reported: a `warn` log line
 * with principal, action, resource and source address (never a password or token), a Prometheus
 * counter, and, for failures, the per-source and per-user backoff (failure-backoff.ts), whose delay
 * the failing response waits out. Requests without credentials are not reported: clients try
 * anonymously first and answer the challenge (spec 1.2), so those 401s are the protocol, not failures.
 */
export class AuthEvents {
  readonly #counters: AuthCounters;
  readonly #backoff: FailureBackoff;
  readonly #deniedListeners: ((req: FastifyRequest, denial: AuthDenial) => void)[] = [];

  constructor(counters: AuthCounters, backoff: FailureBackoff) {
    this.#counters = counters;
    this.#backoff = backoff;
  }

  /** Reports a refused credential and resolves when the failing response may be sent. */
  async refused(req: FastifyRequest, failure: AuthFailure): Promise<void> {
    const source = req.ip;
    const keys = [`source:${source}`];
    // Password guesses are also counted per user name, so spreading them over addresses does not help.
    // The null GUID is everyone's refresh-token login, not a user.
    if (failure.credential === 'password' && failure.principal !== undefined && failure.principal !== NULL_GUID) {
      keys.push(`user:${failure.principal.toLowerCase()}`);
    }
    // Clients routinely present an access token that has just expired, then fetch a new one.
    const counts = !(failure.credential === 'access_token' && (failure.reason === 'expired' || failure.reason === 'not_yet_valid'));
    const delayMs = counts ? this.#backoff.fail(keys) : 0;
    this.#counters.authFailures.inc({ reason: failure.reason, credential: failure.credential });
    req.log.warn({
      event: 'auth.failure', credential: failure.credential, reason: failure.reason, principal: clip(failure.principal),
      action: failure.action, resource: failure.resource, source, delayMs,
    }, 'authentication failed');
    if (delayMs > 0) {
      this.#counters.authDelayed.inc();
      await sleep(delayMs);
    }
  }

  /** Reports valid credentials lacking the asked action. */
  denied(req: FastifyRequest, denial: AuthDenial): void {
    this.#counters.authzDenials.inc({ action: denial.action });
    req.log.warn({ event: 'authz.denied', principal: clip(denial.principal), action: denial.action, resource: denial.resource, source: req.ip }, 'access denied');
    for (const listener of this.#deniedListeners) listener(req, denial);
  }

  /** Tells `listener` of every denial too (the audit log records them). */
  onDenied(listener: (req: FastifyRequest, denial: AuthDenial) => void): void {
    this.#deniedListeners.push(listener);
  }
}

/** The action and resource a /v2 or trust request asked for, as the events name them. */
export function describeAccess(access: readonly AccessRequest[]): { action: string; resource: string } {
  if (access.length === 0) return { action: 'authenticate', resource: 'registry' };
  return {
    action: [...new Set(access.flatMap((a) => a.actions))].join(','),
    resource: access.map((a) => `${a.type}:${a.name}`).join(' '),
  };
}

/** The `sub` an unverified token claims, for the log only; undefined when it is not a readable JWT. */
export function claimedSubject(jwt: string): string | undefined {
  try {
    const sub = decodeJwt(jwt).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

function clip(principal: string | undefined): string | undefined {
  return principal === undefined || principal.length <= MAX_PRINCIPAL ? principal : `${principal.slice(0, MAX_PRINCIPAL)}…`;
}
