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
