import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { freePort, waitFor } from '../test/helpers/net.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { peakRssOf, type BenchServer } from './servers.ts';

const NOTARY_SERVER_BIN = '/usr/bin/notary-server';

/**
 * Starts Debian's notary-server 0.7 as the trust reference: memory storage, the local signer with
 * ECDSA keys (as Wharf serves), TLS on 127.0.0.1 with a fresh openssl certificate, warn-level log.
 * It accepts any GUN (no `gun_prefixes`). Stopped by PID with SIGTERM.
 */
export async function startNotaryServer(): Promise<BenchServer> {
  const dir = await tmpDir('wharf-bench-notary-');
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const tls = await selfSignedCert(join(dir.path, 'tls'));
  const configPath = join(dir.path, 'server.json');
  await writeFile(configPath, JSON.stringify({
    server: { http_addr: addr, tls_cert_file: tls.cert, tls_key_file: tls.key },
    trust_service: { type: 'local', key_algorithm: 'ecdsa' },
    storage: { backend: 'memory' },
    logging: { level: 'warn' },
  }));
  const logPath = join(dir.path, 'notary-server.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn(NOTARY_SERVER_BIN, ['-config', configPath], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const output = () => readFileSync(logPath, 'utf8');
  const caPem = readFileSync(tls.cert, 'utf8');
  const dispatcher = new Agent({ connect: { ca: caPem }, keepAliveTimeout: 30_000 });
  const url = `https://${addr}`;
  try {
    await waitFor(`notary-server on ${addr}`, async () => {
      if (child.exitCode !== null) throw new Error(`notary-server exited with ${child.exitCode}`);
      const res = await request(`${url}/_notary_server/health`, { dispatcher });
      await res.body.dump();
      return res.statusCode === 200;
    });
  } catch (err) {
    await dispatcher.close();
    await stopChild(child, exited);
    const printed = output();
    await dir.remove();
    throw new Error(`notary-server did not start: ${(err as Error).message}\n${printed}`);
  }
  const pid = child.pid!;
  return {
    role: 'reference',
    label: `notary-server ${await notaryVersion()}`,
    url,
    caPem,
    pid,
    dispatcher,
    auth: {},
    peakRssKiB: () => peakRssOf(pid),
    output,
    async stop() {
      await dispatcher.close();
      await stopChild(child, exited);
      await dir.remove();
    },
  };
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

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    process.kill(child.pid, 'SIGTERM');
  }
  await exited;
}

/** A P-256 self-signed certificate for 127.0.0.1, made with openssl. */
async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return files;
}
