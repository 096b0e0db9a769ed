import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/helpers/net.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { createMysqlDatabase, createPostgresDatabase, notarySchema, type BenchDatabase } from './databases.ts';
import { launchReference, selfSignedCert, type BenchServer, type TlsFiles } from './servers.ts';

const NOTARY_SERVER_BIN = '/usr/bin/notary-server';

/** notary-server's metadata storage: its production backends (mysql, postgres) or the in-memory test store. */
export type NotaryStorage = 'mysql' | 'postgres' | 'memory';

/** The storage section of the configuration, in a fresh database (with bench/notary-schema applied) for SQL. */
async function storageConfig(storage: NotaryStorage): Promise<{ config: object; database?: BenchDatabase }> {
  if (storage === 'memory') return { config: { backend: 'memory' } };
  if (storage === 'mysql') {
    const database = await createMysqlDatabase('notary', notarySchema('mysql'));
    return { database, config: { backend: 'mysql', db_url: `root@tcp(127.0.0.1:3306)/${database.name}?parseTime=true` } };
  }
  const database = await createPostgresDatabase('notary', notarySchema('postgresql'));
  return { database, config: { backend: 'postgres', db_url: `${database.url}?sslmode=disable` } };
}

/** A started notary-server and what its storage is, for the report notes. */
export interface NotaryServer extends BenchServer {
  readonly storage: string;
}

/**
 * Starts Debian's notary-server 0.7 as the trust reference on `storage`, with the local signer
 * and ECDSA keys (as Wharf serves), TLS on 127.0.0.1 with a fresh openssl certificate, warn-level
 * log. It accepts any GUN (no `gun_prefixes`). Stopped by PID with SIGTERM; its database is dropped.
 */
export async function startNotaryServer(storage: NotaryStorage): Promise<NotaryServer> {
  const dir = await tmpDir('wharf-bench-notary-');
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const tls = await selfSignedCert(join(dir.path, 'tls'));
  const configPath = join(dir.path, 'server.json');
  const { config, database } = await storageConfig(storage);
  await writeFile(configPath, JSON.stringify({
    server: { http_addr: addr, tls_cert_file: tls.cert, tls_key_file: tls.key },
    trust_service: { type: 'local', key_algorithm: 'ecdsa' },
    storage: config,
    logging: { level: 'warn' },
  }));
  let server: BenchServer;
  try {
    server = await launchNotary(configPath, dir, port, tls);
  } catch (err) {
    await database?.drop();
    throw err;
  }
  return {
    ...server,
    storage: database ? `${storage} storage on ${database.label}` : 'memory storage (its authors: for testing only)',
    async stop() {
      await server.stop();
      await database?.drop();
    },
  };
}

function launchNotary(configPath: string, dir: { path: string; remove(): Promise<void> }, port: number, tls: TlsFiles): Promise<BenchServer> {
  return launchReference({
    role: 'reference',
    label: async () => `notary-server ${await notaryVersion()}`,
    name: 'notary-server',
    command: NOTARY_SERVER_BIN,
    args: ['-config', configPath],
    dir,
    port,
    tls,
    healthPath: '/_notary_server/health',
  });
}

/** The Debian package version (notary-server -version prints an empty version string). */
async function notaryVersion(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('dpkg-query', ['-W', '-f=${Version}', 'notary']);
    return stdout.trim() || '0.7';
  } catch {
    return '0.7';
  }
}
