import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { freePort, waitFor } from './net.ts';
import { mustRun, requireTools } from './run.ts';
import { tmpDir } from './tmp.ts';
import { startWharf } from './wharf.ts';

/** What the e2e tests need from a registry under test: the part of WharfInstance they use. */
export interface E2eRegistry {
  /** 127.0.0.1:<port> */
  host: string;
  port: number;
  caPem: string;
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
  await makeCertificates(dir.path);
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
  const logPath = p('registry.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn('docker-registry', ['serve', p('config.yml')], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const output = () => readFileSync(logPath, 'utf8');
  const caPem = readFileSync(p('ca.crt'), 'utf8');
  const agent = new Agent({ connect: { ca: caPem } });
  const doFetch = (path: string, init: RequestInit = {}) => undiciFetch(`https://${host}${path}`, { ...init, dispatcher: agent });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await agent.close();
    await dir.remove();
  };
  try {
    await waitFor(`docker-registry on ${host}`, async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
      const res = await doFetch('/v2/');
      await res.arrayBuffer();
      return res.ok;
    });
  } catch (err) {
    const out = output();
    await stop();
    throw new Error(`docker-registry did not start: ${(err as Error).message}\n${out}`);
  }
  return { host, port, caPem, fetch: doFetch, output, stop };
}

async function makeCertificates(dir: string): Promise<void> {
  const o = (args: string[]) => mustRun('openssl', args, { cwd: dir });
  await o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=e2e reference CA', '-keyout', 'ca.key', '-out', 'ca.crt']);
  await o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr']);
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
  await o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'ext.cnf', '-out', 'server.crt']);
}
