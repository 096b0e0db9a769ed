import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/helpers/net.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { launchReference, selfSignedCert, type BenchServer } from './servers.ts';

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
