// notary-signer 0.7, notary-server's production signing service: it makes and holds the server's
// snapshot and timestamp keys, encrypted in its own database, and signs over mutually authenticated gRPC.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitFor } from '../test/helpers/net.ts';
import { spawnLogged } from '../test/helpers/server-process.ts';
import { createMysqlDatabase, createPostgresDatabase, notarySchema, type BenchDatabase } from './databases.ts';

const NOTARY_SIGNER_BIN = '/usr/bin/notary-signer';
const PASSPHRASE_ALIAS = 'benchalias';

/** What notary-server's `trust_service` needs to reach a running signer. */
export interface NotarySigner {
  readonly trustService: object;
  /** e.g. "notary-signer on MariaDB 10.11 (…)". */
  readonly label: string;
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

const openssl = (args: readonly string[]) => promisify(execFile)('openssl', args);

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all P-256, made with openssl in `dir`. */
async function mutualTls(dir: string): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>> {
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=wharf bench signer CA']);
  const leaf = async (name: string, cn: string, ext: string) => {
    await openssl(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await writeFile(f(`${name}.ext`), ext);
    await openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '2', '-out', f(`${name}.crt`), '-extfile', f(`${name}.ext`)]);
  };
  await leaf('signer', 'notary-signer', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await leaf('client', 'notary-server', 'extendedKeyUsage=clientAuth\n');
  return { ca: f('ca.crt'), serverCert: f('signer.crt'), serverKey: f('signer.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

/**
 * Starts notary-signer on 127.0.0.1 with its keys in a fresh database of `backend` (their own,
 * apart from notary-server's, as the reference's deployment guide asks), client certificates
 * required; resolves once its gRPC port accepts connections.
 */
export async function startNotarySigner(backend: 'mysql' | 'postgres', dir: string): Promise<NotarySigner> {
  const tls = await mutualTls(dir);
  const port = await freePort();
  let database: BenchDatabase;
  let dbUrl: string;
  if (backend === 'mysql') {
    database = await createMysqlDatabase('notarysigner', notarySchema('signer-mysql'));
    dbUrl = `root@tcp(127.0.0.1:3306)/${database.name}?parseTime=true`;
  } else {
    const pg = await createPostgresDatabase('notarysigner', notarySchema('signer-postgresql'));
    database = pg;
    dbUrl = `${pg.url}?sslmode=disable`;
  }
  const configPath = join(dir, 'signer.json');
  await writeFile(configPath, JSON.stringify({
    server: { grpc_addr: `127.0.0.1:${port}`, tls_cert_file: tls.serverCert, tls_key_file: tls.serverKey, client_ca_file: tls.ca },
    storage: { backend, db_url: dbUrl, default_alias: PASSPHRASE_ALIAS },
    logging: { level: 'warn' },
  }));
  const env = { ...process.env, [`NOTARY_SIGNER_${PASSPHRASE_ALIAS.toUpperCase()}`]: randomBytes(24).toString('base64url') };
  const signer = spawnLogged(NOTARY_SIGNER_BIN, ['-config', configPath], join(dir, 'notary-signer.log'), env);
  const stop = async () => {
    if (signer.process.exitCode === null && signer.process.signalCode === null) signer.process.kill('SIGTERM');
    await signer.exited;
    await database.drop();
  };
  try {
    await waitFor(`notary-signer on 127.0.0.1:${port}`, async () => {
      if (signer.process.exitCode !== null) throw new Error(`notary-signer exited with ${signer.process.exitCode}`);
      return accepts(port);
    });
  } catch (err) {
    const out = signer.output();
    await stop();
    throw new Error(`notary-signer did not start: ${(err as Error).message}\n${out}`);
  }
  return {
    trustService: {
      type: 'remote', hostname: '127.0.0.1', port: String(port), key_algorithm: 'ecdsa',
      tls_ca_file: tls.ca, tls_client_cert: tls.clientCert, tls_client_key: tls.clientKey,
    },
    label: `notary-signer (mutual TLS gRPC; keys in ${database.label})`,
    pid: signer.process.pid!,
    output: signer.output,
    stop,
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
