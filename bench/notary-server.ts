import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/helpers/net.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { createMysqlDatabase, createPostgresDatabase, notarySchema, type BenchDatabase } from './databases.ts';
import { startNotarySigner, type NotarySigner } from './notary-signer.ts';
import { launchReference, peakRssOf, selfSignedCert, type BenchServer, type TlsFiles } from './servers.ts';

const NOTARY_SERVER_BIN = '/usr/bin/notary-server';

/** Where notary-server keeps TUF metadata: its production backends, or memory (for testing, by its authors). */
export type NotaryStorage = 'mysql' | 'postgres' | 'memory';

/**
 * Who makes and holds its snapshot and timestamp keys: notary-signer (production: encrypted in its own
 * database of the same kind as the storage, over mutual TLS gRPC) or the in-process signer (keys in memory only).
 */
export type NotarySignerKind = 'signer' | 'local';

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
 * Starts Debian's notary-server 0.7 as the trust reference as `storage` says, asking for ECDSA
 * server keys (as Wharf serves), TLS on 127.0.0.1 with a fresh openssl certificate, warn-level
 * log. It accepts any GUN (no `gun_prefixes`). Stopped by PID with SIGTERM (then its signer); its
 * databases are dropped.
 */
export async function startNotaryServer(storage: NotaryStorage, signerKind: NotarySignerKind): Promise<NotaryServer> {
  if (storage === 'memory' && signerKind === 'signer') throw new Error('notary-signer needs a SQL backend here');
  const dir = await tmpDir('wharf-bench-notary-');
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const tls = await selfSignedCert(join(dir.path, 'tls'));
  const configPath = join(dir.path, 'server.json');
  let signer: NotarySigner | undefined;
  let database: BenchDatabase | undefined;
  let server: BenchServer;
  try {
    if (storage !== 'memory' && signerKind === 'signer') {
      const signerDir = join(dir.path, 'signer');
      await mkdir(signerDir);
      signer = await startNotarySigner(storage, signerDir);
    }
    const store = await storageConfig(storage);
    database = store.database;
    await writeFile(configPath, JSON.stringify({
      server: { http_addr: addr, tls_cert_file: tls.cert, tls_key_file: tls.key },
      trust_service: signer?.trustService ?? { type: 'local', key_algorithm: 'ecdsa' },
      storage: store.config,
      logging: { level: 'warn' },
    }));
    server = await launchNotary(configPath, dir, port, tls);
  } catch (err) {
    await signer?.stop();
    await database?.drop();
    await dir.remove();
    throw err;
  }
  return {
    ...server,
    storage: `${database ? `${storage} storage on ${database.label}` : 'memory storage (its authors: for testing)'}, ` +
      (signer ? `server keys made and held by ${signer.label}` : 'server keys made and held in memory by the in-process signer'),
    // The signer is part of the deployment: its memory counts with the server's.
    peakRssKiB: () => server.peakRssKiB() + (signer ? peakRssOf(signer.pid) : 0),
    output: () => `${server.output()}${signer ? `\n--- notary-signer ---\n${signer.output()}` : ''}`,
    async stop() {
      await server.stop();
      await signer?.stop();
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
