/**
 * Access tokens already verified, looked up by signature and matched on their whole text, so that the /v2 gate checks an ES256
 * signature once per token rather than once per request (a verification costs more than serving a
 * manifest). An entry holds until the token expires (plus the clock tolerance verification allows),
 * `ttlMs` passes (the same bound within which TokenKeys notices a key retired on another node), or
 * the local key epoch changes (a key retired here). Only successes are kept; memory is bounded,
 * the oldest entries going first.
 */
export class VerifiedTokens<T> {
  // Keyed by the signature: hashing its 86 characters is cheaper than hashing the whole token.
  readonly #entries = new Map<string, { jwt: string; audience: string; value: T; until: number; epoch: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; ttlMs?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The verification result of `jwt` for `audience`, if still valid under `epoch`. */
  get(jwt: string, audience: string, epoch: number): T | undefined {
    const key = signatureOf(jwt);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // The same signature over other text (a tampered payload) is no hit.
    if (entry.jwt !== jwt) return undefined;
    if (entry.audience === audience && entry.epoch === epoch && this.#now() < entry.until) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Remembers a successful verification; `validUntilMs` is when verification would start failing. */
  set(jwt: string, audience: string, epoch: number, value: T, validUntilMs: number): void {
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(signatureOf(jwt), { jwt, audience, value, epoch, until: Math.min(validUntilMs, this.#now() + this.#ttlMs) });
  }
}

function signatureOf(jwt: string): string {
  return jwt.slice(jwt.lastIndexOf('.') + 1);
}
