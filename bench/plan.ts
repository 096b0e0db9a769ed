import { MiB } from './blob-data.ts';

/** How much work each figure does; BENCH_QUICK=1 shrinks everything for a smoke run. */
export interface BenchPlan {
  readonly isQuick: boolean;
  /** Monolithic transfer sets: blob size, concurrent streams, number of distinct blobs. */
  readonly transfers: readonly { size: number; concurrency: number; count: number }[];
  readonly chunked: { size: number; chunkSize: number };
  /** Interleaved download rounds per transfer set; the median is reported. */
  readonly downloadRounds: number;
  readonly wrkSeconds: number;
  readonly wrkConnections: number;
  readonly manifestPuts: number;
  readonly putConnections: number;
  readonly tagCount: number;
  readonly tagListRounds: number;
  readonly tagListConnections: number;
}

/** The plan for this run, from BENCH_QUICK. */
export function benchPlan(env: NodeJS.ProcessEnv): BenchPlan {
  const isQuick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  if (isQuick) {
    return {
      isQuick,
      transfers: [
        { size: 1 * MiB, concurrency: 1, count: 8 }, { size: 1 * MiB, concurrency: 8, count: 16 },
        { size: 4 * MiB, concurrency: 1, count: 2 }, { size: 4 * MiB, concurrency: 8, count: 8 },
        { size: 16 * MiB, concurrency: 1, count: 1 }, { size: 16 * MiB, concurrency: 8, count: 8 },
      ],
      chunked: { size: 16 * MiB, chunkSize: 4 * MiB },
      downloadRounds: 1,
      wrkSeconds: 1,
      wrkConnections: 64,
      manifestPuts: 200,
      putConnections: 16,
      tagCount: 500,
      tagListRounds: 3,
      tagListConnections: 16,
    };
  }
  return {
    isQuick,
    transfers: [
      { size: 1 * MiB, concurrency: 1, count: 64 }, { size: 1 * MiB, concurrency: 8, count: 256 },
      { size: 16 * MiB, concurrency: 1, count: 8 }, { size: 16 * MiB, concurrency: 8, count: 32 },
      { size: 256 * MiB, concurrency: 1, count: 4 }, { size: 256 * MiB, concurrency: 8, count: 8 },
    ],
    chunked: { size: 256 * MiB, chunkSize: 16 * MiB },
    downloadRounds: 3,
    wrkSeconds: 5,
    wrkConnections: 64,
    manifestPuts: 2000,
    putConnections: 16,
    tagCount: 10_000,
    tagListRounds: 5,
    tagListConnections: 16,
  };
}
