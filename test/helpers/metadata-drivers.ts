import assert from 'node:assert/strict';
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

/** Two Wharf nodes sharing one PostgreSQL database: two stores over it, and its URL for raw clients. */
export interface PostgresNodes {
  readonly a: MetadataStore;
  readonly b: MetadataStore;
  readonly url: string;
}

/**
 * A `[postgres]` describe block whose every test gets a fresh database with two stores opened over
 * it (two nodes), closed and dropped after the test. `body` gets a stand-in whose fields are the
 * running test's, so tests declared before any node exists can use it directly.
 */
export function forTwoPostgresNodes(name: string, body: (nodes: PostgresNodes) => void): void {
  describe(`${name} [postgres]`, () => {
    let current: (PostgresNodes & { drop(): Promise<void> }) | undefined;
    const running = () => current ?? assert.fail('no PostgreSQL nodes outside a test');
    beforeEach(async () => {
      const database = await createTestDatabase();
      const a = await openSqlMetadataStore(database.url, { dataDir: '/nonexistent' });
      const b = await openSqlMetadataStore(database.url, { dataDir: '/nonexistent' });
      current = { a, b, url: database.url, drop: () => database.drop() };
    });
    body({
      get a() { return running().a; },
      get b() { return running().b; },
      get url() { return running().url; },
    });
    // Registered after the body's hooks so that it runs after them: they may hold connections to the database.
    afterEach(async () => {
      const nodes = current;
      current = undefined;
      if (!nodes) return;
      await nodes.a.close();
      await nodes.b.close();
      await nodes.drop();
    });
  });
}
