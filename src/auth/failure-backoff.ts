export interface FailureBackoffOptions {
  /** Failures a key may have (decayed) before any delay: typos cost nothing. Default 5. */
  readonly freeFailures?: number;
  /** The first delay, doubled by each further failure. Default 250 ms. */
  readonly baseDelayMs?: number;
  /** The longest delay. Default 4 s. */
  readonly maxDelayMs?: number;
  /** A key's failure count halves every this long without failures. Default 60 s. */
  readonly halfLifeMs?: number;
  /** Keys remembered; the least recently failing one is forgotten first. Default 10 000. */
  readonly maxKeys?: number;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
}

interface Score {
  failures: number;
  at: number;
}

/**
 * Slows repeated authentication failures without ever locking anyone out: each failure adds one to
 * a decaying count per key (the source address, the user name tried), and the failing response
 * waits `baseDelayMs · 2^(count − freeFailures − 1)`, capped, for the worst of its keys. Only
 * failing responses wait; a request with valid credentials is never delayed, whatever its keys'
 * counts. Memory is bounded: the least recently failing keys are forgotten first (LRU).
 */
export class FailureBackoff {
  readonly #scores = new Map<string, Score>();
  readonly #free: number;
  readonly #base: number;
  readonly #max: number;
  readonly #halfLife: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: FailureBackoffOptions = {}) {
    this.#free = options.freeFailures ?? 5;
    this.#base = options.baseDelayMs ?? 250;
    this.#max = options.maxDelayMs ?? 4000;
    this.#halfLife = options.halfLifeMs ?? 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records one failure under every key; how long the failing response should wait, in ms. */
  fail(keys: readonly string[]): number {
    const now = this.#now();
    let worst = 0;
    for (const key of keys) {
      const failures = this.#decayed(key, now) + 1;
      // Re-inserted, so that Map order is least recently failing first.
      this.#scores.delete(key);
      this.#scores.set(key, { failures, at: now });
      worst = Math.max(worst, failures);
    }
    while (this.#scores.size > this.#maxKeys) this.#scores.delete(this.#scores.keys().next().value as string);
    return this.#delayFor(worst);
  }

  /** Keys currently remembered (for tests of the bound). */
  get size(): number {
    return this.#scores.size;
  }

  #decayed(key: string, now: number): number {
    const score = this.#scores.get(key);
    if (score === undefined) return 0;
    return score.failures * 2 ** (-(now - score.at) / this.#halfLife);
  }

  #delayFor(failures: number): number {
    if (failures <= this.#free) return 0;
    return Math.min(this.#max, Math.round(this.#base * 2 ** (failures - this.#free - 1)));
  }
}
