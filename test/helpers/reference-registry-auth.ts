import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestInit } from 'undici';
import type { E2eRegistry } from './e2e-registry.ts';
import { freePort } from './net.ts';
import type { Credentials } from './registry-login.ts';
import { mustRun, requireTools } from './run.ts';
import { launchServer } from './server-process.ts';
import { tmpDir } from './tmp.ts';
import { makeServerCertificates } from './tls.ts';

/**
 * docker-registry (distribution 2.8, Debian) over TLS on 127.0.0.1 with htpasswd Basic auth for
 * one user (bcrypt entry made by htpasswd from apache2-utils). `fetch` sends the credentials;
 * health is polled on `/`, which distribution answers without credentials.
 */
export async function startReferenceRegistryWithAuth(credentials: Credentials): Promise<E2eRegistry & { url: string; credentials: Credentials }> {
  requireTools('docker-registry', 'openssl', 'htpasswd');
  const dir = await tmpDir('wharf-refreg-auth-');
  const p = (name: string) => join(dir.path, name);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  await makeServerCertificates(dir.path, 'reference registry CA (htpasswd)');
  await mustRun('htpasswd', ['-Bbc', p('htpasswd'), credentials.username, credentials.password]);
  await writeFile(
    p('config.yml'),
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${p('data')} }, delete: { enabled: true } }`,
      `http: { addr: "${host}", tls: { certificate: ${p('server.crt')}, key: ${p('server.key')} } }`,
      `auth: { htpasswd: { realm: wharf-test, path: ${p('htpasswd')} } }`,
      '',
    ].join('\n'),
  );
  const caPem = readFileSync(p('ca.crt'), 'utf8');
  const server = await launchServer({
    name: 'docker-registry', command: 'docker-registry', args: ['serve', p('config.yml')], dir, origin: `https://${host}`, caPem, healthPath: '/',
  });
  const authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const fetch = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers as Record<string, string> | undefined);
    if (!headers.has('authorization')) headers.set('authorization', authorization);
    return server.fetch(path, { ...init, headers: Object.fromEntries(headers) });
  };
  return { host, port, url: `https://${host}`, caPem, credentials, fetch, output: server.output, stop: server.stop };
}
