import { afterEach, beforeEach, describe } from 'node:test';
import type { MetadataStore } from '../../src/storage/metadata-store.ts';
import { openSqlMetadataStore } from '../../src/storage/sql/open.ts';
import { createTestDatabase } from './postgres.ts';
import { tmpDir } from './tmp.ts';

export interface OpenedStore {
  store: MetadataStore;
  close(): Promise<void>;
}

/** Each driver opens a fresh, empty store and removes everything it made on close. */
export const DRIVERS: Record<string, () => Promise<OpenedStore>> = {
  async sqlite() {
    const dir = await tmpDir();
    const store = await openSqlMetadataStore('sqlite', { dataDir: dir.path });
    return { store, close: async () => (await store.close(), await dir.remove()) };
  },
  async postgres() {
    const database = await createTestDatabase();
    const store = await openSqlMetadataStore(database.url, { dataDir: '/nonexistent' });
    return { store, close: async () => (await store.close(), await database.drop()) };
  },
};

/**
 * `describe('<name> [<driver>]')` per driver, each test on a fresh store opened before it and
 * closed after it. `body` gets the store of the running test: a stand-in that forwards to it, so
 * tests declared before any store exists can use it directly.
 */
export function forEachStore(name: string, body: (store: MetadataStore) => void): void {
  for (const [driver, open] of Object.entries(DRIVERS)) {
    describe(`${name} [${driver}]`, () => {
      let opened: OpenedStore | undefined;
      const current = (): MetadataStore => {
        if (!opened) throw new Error(`no ${driver} store outside a test`);
        return opened.store;
      };
      const store = new Proxy({} as MetadataStore, {
        get(_, key) {
          const value: unknown = Reflect.get(current(), key);
          return typeof value === 'function' ? value.bind(current()) : value;
        },
      });
      beforeEach(async () => {
        opened = await open();
      });
      afterEach(async () => {
        await opened?.close();
        opened = undefined;
      });
      body(store);
    });
  }
}
