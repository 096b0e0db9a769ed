import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { BlobStore } from './blob-store.ts';
import { FsBlobStore } from './fs/fs-blob-store.ts';
import type { MetadataStore } from './metadata-store.ts';
import { openSqlMetadataStore } from './sql/open.ts';

export interface Stores {
  metadata: MetadataStore;
  blobs: BlobStore;
  close(): Promise<void>;
}

/** Opens the configured drivers; fails fast on bad settings or unreachable databases. */
export async function openStores(config: Config): Promise<Stores> {
  const metadata = await openSqlMetadataStore(config.metadata, { dataDir: config.data, sqliteSynchronous: config.sqlite.synchronous });
  try {
    const blobs = await FsBlobStore.open(join(config.data, 'storage'));
    await blobs.cleanLeftovers();
    return { metadata, blobs, close: () => metadata.close() };
  } catch (err) {
    await metadata.close();
    throw err;
  }
}
