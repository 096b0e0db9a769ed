import { after, before, describe } from 'node:test';
import { createTestDatabase } from './postgres.ts';
import { startWharf, type StartOptions, type WharfInstance } from './wharf.ts';

export type MetadataBackend = 'sqlite' | 'postgres';
export const METADATA_BACKENDS: readonly MetadataBackend[] = ['sqlite', 'postgres'];

export interface BackendContext {
  readonly backend: MetadataBackend;
  /** The Wharf started for this backend; only valid inside tests and hooks (after `before`). */
  readonly registry: WharfInstance;
}

/**
 * Declares `describe('<name> [<backend>]')` once per metadata backend. Each block starts one Wharf
 * in before() (with a fresh PostgreSQL database for postgres) and stops it, dropping the database,
 * in after(); the tests inside share that server, so they must use their own repositories. `start`
 * adds startWharf options (environment, arguments) to both.
 */
export function forEachBackend(name: string, body: (ctx: BackendContext) => void, start: StartOptions = {}): void {
  for (const backend of METADATA_BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      let instance: WharfInstance | undefined;
      let database: { url: string; drop(): Promise<void> } | undefined;
      before(async () => {
        if (backend === 'postgres') database = await createTestDatabase();
        instance = await startWharf(database ? { ...start, metadata: database.url } : start);
      });
      after(async () => {
        await instance?.stop();
        await database?.drop();
      });
      body({
        backend,
        get registry(): WharfInstance {
          if (!instance) throw new Error(`wharf (${backend}) is not running`);
          return instance;
        },
      });
    });
  }
}
