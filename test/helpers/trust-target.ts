import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestInit, Response } from 'undici';
import { startReferenceRegistry, type E2eRegistry } from './e2e-registry.ts';
import { freePort } from './net.ts';
import type { Credentials } from './registry-login.ts';
import { requireTools } from './run.ts';
import { launchServer } from './server-process.ts';
import { tmpDir } from './tmp.ts';
import { makeServerCertificates } from './tls.ts';
import { startWharf } from './wharf.ts';

export type TrustTargetKind = 'wharf' | 'reference';

/** A registry plus the Notary v1 trust server that signs for it, as the real clients need them. */
export interface TrustTarget {
  kind: TrustTargetKind;
  /** 127.0.0.1:<port>: the registry as clients name it (a localhost:<port> alias works too). */
  registryHost: string;
  registryPort: number;
  /**
   * Set only when the trust server is not the registry host (reference mode): docker then needs
   * DOCKER_CONTENT_TRUST_SERVER. Undefined for Wharf, which serves /v2/<gun>/_trust/ itself.
   */
  trustServerUrl?: string;
  /** PEM bundle of the CA(s) that signed every server certificate here (one for Wharf, two for reference). */
  caPem: string;
  /** The login docker and notary need (Wharf's owner); undefined in reference mode (open servers). */
  credentials?: Credentials;
  /** fetch against the registry API, trusting caPem, logged in when there are credentials. */
  fetchRegistry(path: string, init?: RequestInit): Promise<Response>;
  /** fetch against the trust server (the registry itself for Wharf), trusting caPem, logged in likewise. */
  fetchTrust(path: string, init?: RequestInit): Promise<Response>;
  /** What the servers logged, for failure messages. */
  output(): string;
  /** Stops everything started (by PID) and removes its temp dirs. */
  stop(): Promise<void>;
}

/** The trust server URL a client must use for `registryAlias` (the registry host as written in refs). */
export function trustUrlFor(target: TrustTarget, registryAlias = target.registryHost): string {
  return target.trustServerUrl ?? `https://${registryAlias}`;
}

/** True when the e2e trust tests run against the reference servers (WHARF_E2E_TRUST=reference), which are open. */
export const IS_REFERENCE_TRUST = process.env['WHARF_E2E_TRUST'] === 'reference';

export interface TrustTargetOptions {
  /** Wharf lets anonymous callers pull and read trust data (auth.anonymousPull); the reference servers always do. */
  anonymousPull?: boolean;
}

/**
 * Wharf (startWharf(), trust API on the registry host, authentication on) by default; with
 * WHARF_E2E_TRUST=reference the Debian reference pair docker-registry + notary-server (memory
 * store, local ECDSA signing, no authentication), used to check this harness against known-good servers.
 */
export async function startTrustTarget(opts: TrustTargetOptions = {}): Promise<TrustTarget> {
  const mode = process.env['WHARF_E2E_TRUST'] ?? 'wharf';
  if (mode === 'reference') return startReferenceTrustTarget();
  if (mode !== 'wharf') throw new Error(`WHARF_E2E_TRUST must be "wharf" or "reference", not "${mode}"`);
  // The content trust policy enabled: its default (disabled) serves no trust API.
  const wharf = await startWharf({ env: { WHARF_TRUST__POLICY: 'enabled', ...(opts.anonymousPull && { WHARF_AUTH__ANONYMOUS_PULL: 'true' }) } });
  if (wharf.caPem === undefined) throw new Error('startWharf() served no CA (expected HTTPS by default)');
  return {
    kind: 'wharf',
    registryHost: wharf.host,
    registryPort: wharf.port,
    caPem: wharf.caPem,
    ...(wharf.credentials && { credentials: wharf.credentials }),
    fetchRegistry: wharf.fetch,
    fetchTrust: wharf.fetch,
    output: wharf.output,
    stop: wharf.stop,
  };
}

async function startReferenceTrustTarget(): Promise<TrustTarget> {
  requireTools('notary-server', 'docker-registry', 'openssl');
  const registry: E2eRegistry = await startReferenceRegistry();
  let notary: NotaryServer | undefined;
  try {
    // notary-server gets its own certificate, signed by the registry's CA, so there is one CA to trust.
    notary = await startNotaryServer(registry.caPem);
  } catch (err) {
    await registry.stop();
    throw err;
  }
  const ns = notary;
  return {
    kind: 'reference',
    registryHost: registry.host,
    registryPort: registry.port,
    trustServerUrl: ns.url,
    caPem: ns.caPem,
    fetchRegistry: registry.fetch,
    fetchTrust: ns.fetch,
    output: () => `--- docker-registry\n${registry.output().slice(-3000)}\n--- notary-server\n${ns.output().slice(-3000)}`,
    stop: async () => {
      await ns.stop();
      await registry.stop();
    },
  };
}

interface NotaryServer {
  url: string;
  caPem: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * notary-server 0.7 with memory storage and a local ECDSA trust service, TLS on 127.0.0.1.
 * The reference registry's CA key is not exposed, so this makes its own CA and returns it;
 * callers that trust both servers get one bundle: `caPem` holds both CA certificates.
 */
async function startNotaryServer(extraCaPem: string): Promise<NotaryServer> {
  const dir = await tmpDir('wharf-notary-server-');
  const p = (name: string) => join(dir.path, name);
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  await makeServerCertificates(dir.path, 'e2e notary-server CA');
  await writeFile(
    p('server.json'),
    JSON.stringify({
      server: { http_addr: addr, tls_cert_file: p('server.crt'), tls_key_file: p('server.key') },
      trust_service: { type: 'local', key_algorithm: 'ecdsa' },
      storage: { backend: 'memory' },
      logging: { level: 'warn' },
    }),
  );
  const caPem = `${readFileSync(p('ca.crt'), 'utf8')}${extraCaPem}`;
  const url = `https://${addr}`;
  const server = await launchServer({
    name: 'notary-server',
    command: 'notary-server',
    args: ['-config', p('server.json')],
    dir,
    origin: url,
    caPem,
    healthPath: '/_notary_server/health',
  });
  return { url, caPem, fetch: server.fetch, output: server.output, stop: server.stop };
}
