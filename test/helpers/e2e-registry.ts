import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestInit, Response } from 'undici';
import { freePort } from './net.ts';
import type { Credentials } from './registry-login.ts';
import { describeFailure, requireTools, type RunResult } from './run.ts';
import { launchServer } from './server-process.ts';
import { tmpDir } from './tmp.ts';
import { makeServerCertificates } from './tls.ts';
import { startWharf } from './wharf.ts';

/** What the e2e tests need from a registry under test: the part of WharfInstance they use. */
export interface E2eRegistry {
  /** 127.0.0.1:<port> */
  host: string;
  port: number;
  caPem: string;
  /** The login clients need (Wharf's owner); undefined for the reference registry, which is open. */
  credentials?: Credentials;
  /** fetch against the registry, trusting caPem, with the credentials when there are some. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The registry the e2e tests run against: Wharf (startWharf, HTTPS with its generated CA), or,
 * with WHARF_E2E_REGISTRY=reference, the Debian reference registry (docker-registry) behind a
 * CA made here — to check the harness itself against a known-good server.
 */
export async function startE2eRegistry(): Promise<E2eRegistry> {
  if (process.env['WHARF_E2E_REGISTRY'] === 'reference') return startReferenceRegistry();
  const wharf = await startWharf();
  if (wharf.caPem === undefined) throw new Error('startWharf() served no CA (expected HTTPS by default)');
  return { ...wharf, caPem: wharf.caPem };
}

/** docker-registry (distribution 2.x) over TLS on 127.0.0.1, certificate for localhost, 127.0.0.1, ::1. */
export async function startReferenceRegistry(): Promise<E2eRegistry> {
  requireTools('docker-registry', 'openssl');
  const dir = await tmpDir('wharf-refreg-');
  const p = (name: string) => join(dir.path, name);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  await makeServerCertificates(dir.path, 'e2e reference CA');
  await writeFile(
    p('config.yml'),
    [
      'version: 0.1',
      'log: { level: warn, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${p('data')} }, delete: { enabled: true } }`,
      `http: { addr: "${host}", tls: { certificate: ${p('server.crt')}, key: ${p('server.key')} } }`,
      '',
    ].join('\n'),
  );
  const caPem = readFileSync(p('ca.crt'), 'utf8');
  const server = await launchServer({
    name: 'docker-registry',
    command: 'docker-registry',
    args: ['serve', p('config.yml')],
    dir,
    origin: `https://${host}`,
    caPem,
    healthPath: '/v2/',
  });
  return { host, port, caPem, fetch: server.fetch, output: server.output, stop: server.stop };
}

/**
 * `docker login <host>` with the password on stdin, through the daemon `docker` talks to, as a user
 * does before pushing; nothing without credentials (an open registry). Throws with docker's output.
 */
export async function dockerLogin(
  docker: (args: string[], opts: { input: string }) => Promise<RunResult>,
  host: string,
  credentials: Credentials | undefined,
): Promise<void> {
  if (credentials === undefined) return;
  const args = ['login', host, '-u', credentials.username, '--password-stdin'];
  const res = await docker(args, { input: credentials.password });
  if (res.code !== 0 || !res.stdout.includes('Login Succeeded')) throw new Error(describeFailure('docker', args, res));
}
