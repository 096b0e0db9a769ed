/** How much work each trust figure does; BENCH_QUICK=1 shrinks it for a smoke run. */
export interface TrustPlan {
  readonly isQuick: boolean;
  /** Untimed inits and adds per server before the first figure (JIT, connection pools, SQLite pages). */
  readonly warmup: number;
  /** New GUNs initialised one after another. */
  readonly initSequential: number;
  /** Single-target adds, one after another, round-robin over the sequentially initialised GUNs. */
  readonly addSequential: number;
  /** Single-target adds by `concurrency` clients, each on its own GUNs. */
  readonly addConcurrent: number;
  readonly concurrency: number;
  readonly wrkConnections: number;
  readonly wrkSeconds: number;
}

/** The trust plan for this run, from BENCH_QUICK. */
export function trustPlan(env: NodeJS.ProcessEnv): TrustPlan {
  const isQuick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const common = { isQuick, concurrency: 8, wrkConnections: 64 };
  if (isQuick) {
    return { ...common, warmup: 5, initSequential: 40, addSequential: 60, addConcurrent: 80, wrkSeconds: 1 };
  }
  return { ...common, warmup: 30, initSequential: 400, addSequential: 500, addConcurrent: 800, wrkSeconds: 5 };
}
