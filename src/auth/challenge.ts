/** The `error` parameter of a Bearer challenge (spec 1.1; RFC 6750 3.1). */
export type ChallengeError = 'invalid_token' | 'insufficient_scope';

export interface ChallengeParams {
  /** The token endpoint, `https://<login>/oauth2/token`. */
  readonly realm: string;
  /** `<login>`. */
  readonly service: string;
  /** One scope (requiredAccess.ts challengeScope); absent on `GET /v2/` [ACR]. */
  readonly scope?: string;
  readonly error?: ChallengeError;
}

/**
 * The WWW-Authenticate value of a 401 from /v2 (shared/specs/access-and-policy.md 1.1):
 * `Bearer realm="…",service="…"[,scope="…"][,error="…"]`, comma-separated without spaces, every
 * value quoted (`\` and `"` escaped as RFC 9110 quoted-string requires).
 */
export function challenge(params: ChallengeParams): string {
  const parts: [string, string | undefined][] = [
    ['realm', params.realm],
    ['service', params.service],
    ['scope', params.scope],
    ['error', params.error],
  ];
  const rendered = parts.flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${quote(value)}`]));
  return `Bearer ${rendered.join(',')}`;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
