import type { NotarySignerKind, NotaryStorage } from './notary-server.ts';

/**
 * Where Wharf keeps its metadata in a pairing: SQLite (its default: an fsync per commit, the
 * durability of notary's MySQL), SQLite without that fsync (sqlite.synchronous=normal) or a fresh
 * PostgreSQL database.
 */
export type WharfStore = 'sqlite' | 'sqlite-normal' | 'postgres';

/** One group of trust rows: Wharf on one store against notary-server on one storage, side by side. */
export interface TrustPairing {
  readonly wharf: WharfStore;
  readonly notary: NotaryStorage;
  readonly notarySigner: NotarySignerKind;
}

/**
 * Default pairings: each product's production setup (Wharf on SQLite; notary-server on MySQL with
 * notary-signer holding its keys in a second MySQL database, as its deployment guide describes),
 * the same with Wharf not fsyncing every commit (its faster, less durable setting), both on PostgreSQL (notary-signer too), notary-server on MySQL with its in-process signer (keys in
 * memory, so lost on restart), and its memory store with that signer (for testing, by its authors),
 * the last two kept so that the faster setups of the reference stay visible.
 */
const PAIRINGS: Record<string, TrustPairing> = {
  'sqlite-mysql': { wharf: 'sqlite', notary: 'mysql', notarySigner: 'signer' },
  'sqlitenormal-mysql': { wharf: 'sqlite-normal', notary: 'mysql', notarySigner: 'signer' },
  'postgres-postgres': { wharf: 'postgres', notary: 'postgres', notarySigner: 'signer' },
  'sqlite-mysql-local': { wharf: 'sqlite', notary: 'mysql', notarySigner: 'local' },
  'sqlite-memory': { wharf: 'sqlite', notary: 'memory', notarySigner: 'local' },
};

const STORE_NAMES: Record<WharfStore | NotaryStorage, string> = {
  sqlite: 'SQLite',
  'sqlite-normal': 'SQLite (no fsync per commit)',
  postgres: 'PostgreSQL', mysql: 'MySQL', memory: 'memory' };

/** e.g. "Wharf SQLite vs notary MySQL + signer": the bracket of a pairing's rows. */
export const pairingLabel = (p: TrustPairing) =>
  `Wharf ${STORE_NAMES[p.wharf]} vs notary ${STORE_NAMES[p.notary]}${p.notarySigner === 'signer' ? ' + notary-signer' : ', keys in memory'}`;

/** How much work each trust figure does; BENCH_QUICK=1 shrinks it for a smoke run. */
export interface TrustPlan {
  readonly isQuick: boolean;
  /** Run in this order; BENCH_TRUST_PAIRS=sqlite-mysql,sqlitenormal-mysql,postgres-postgres,sqlite-mysql-local,sqlite-memory (the default) picks. */
  readonly pairings: readonly TrustPairing[];
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

function pairings(names: string | undefined): TrustPairing[] {
  const picked = names?.split(',').map((n) => n.trim()).filter(Boolean) ?? Object.keys(PAIRINGS);
  return picked.map((name) => {
    const pairing = PAIRINGS[name];
    if (!pairing) throw new Error(`BENCH_TRUST_PAIRS: unknown pairing "${name}" (known: ${Object.keys(PAIRINGS).join(', ')})`);
    return pairing;
  });
}

/** The trust plan for this run, from BENCH_QUICK and BENCH_TRUST_PAIRS. */
export function trustPlan(env: NodeJS.ProcessEnv): TrustPlan {
  const isQuick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const common = { isQuick, pairings: pairings(env.BENCH_TRUST_PAIRS), concurrency: 8, wrkConnections: 64 };
  if (isQuick) {
    return { ...common, warmup: 5, initSequential: 40, addSequential: 60, addConcurrent: 80, wrkSeconds: 1 };
  }
  return { ...common, warmup: 30, initSequential: 400, addSequential: 500, addConcurrent: 800, wrkSeconds: 5 };
}
