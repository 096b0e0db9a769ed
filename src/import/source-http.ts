import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { collectUpTo } from '../http/body.ts';
import { ImportFailure } from './import-failure.ts';

/** How import sources are reached: TLS always; which CAs are trusted, and for which hosts verification is off. */
export interface SourceTls {
  /** Extra PEM CAs trusted besides the system roots (config import.caFile). */
  readonly extraCaPem?: string;
  /** host[:port] values whose certificates are not verified (config import.insecureHosts). */
  readonly insecureHosts: readonly string[];
}

const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

/**
 * One HTTPS connection pool per import: certificate checks on unless the host is listed as
 * insecure. Redirects are followed (blob GETs often go to object storage); the Authorization
 * header is only ever sent to the origin it was made for.
 */
export class SourceHttp {
  readonly #verified: Agent;
  readonly #unverified: Agent;
  readonly #insecure: ReadonlySet<string>;

  constructor(tls: SourceTls) {
    const ca = tls.extraCaPem === undefined ? undefined : [...rootCertificates, tls.extraCaPem];
    this.#verified = new Agent({ keepAlive: true, maxSockets: 8, ca });
    this.#unverified = new Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false });
    this.#insecure = new Set(tls.insecureHosts.map((h) => h.toLowerCase()));
  }

  /**
   * GET (or HEAD) `url`; resolves with the final response, whatever its status, its body unread.
   * `authorization(origin)` gives the header for an origin (undefined: none). Network and TLS
   * failures become ImportFailure naming the host.
   */
  async get(url: URL, opts: { headers?: Record<string, string>; authorization?: (origin: string) => string | undefined; signal: AbortSignal; method?: 'GET' | 'HEAD' }): Promise<IncomingMessage> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { 'user-agent': 'wharf-import', ...opts.headers };
      const auth = opts.authorization?.(current.origin);
      if (auth !== undefined) headers['authorization'] = auth;
      const res = await this.#send(current, opts.method ?? 'GET', headers, opts.signal);
      const location = res.headers.location;
      if (res.statusCode === undefined || ![301, 302, 303, 307, 308].includes(res.statusCode) || location === undefined) return res;
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new ImportFailure(`${url.host} redirected more than ${MAX_REDIRECTS} times`);
      current = new URL(location, current);
      if (current.protocol !== 'https:') throw new ImportFailure(`${url.host} redirected to a non-HTTPS URL; refused`);
    }
  }

  /** POSTs a form (the OAuth2 token endpoint); no redirects, no Authorization header. */
  post(url: URL, form: string, signal: AbortSignal): Promise<IncomingMessage> {
    const headers = { 'user-agent': 'wharf-import', 'content-type': 'application/x-www-form-urlencoded' };
    return this.#send(url, 'POST', headers, signal, form);
  }

  close(): void {
    this.#verified.destroy();
    this.#unverified.destroy();
  }

  #send(url: URL, method: string, headers: Record<string, string>, signal: AbortSignal, body?: string): Promise<IncomingMessage> {
    if (url.protocol !== 'https:') return Promise.reject(new ImportFailure(`only HTTPS sources are supported: ${url.origin}`));
    const agent = this.#insecure.has(url.host.toLowerCase()) ? this.#unverified : this.#verified;
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent, signal, timeout: IDLE_TIMEOUT_MS }, resolve);
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 60 s'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => reject(networkFailure(url, err)));
      req.end(body);
    });
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME/;

function networkFailure(url: URL, err: NodeJS.ErrnoException): Error {
  if (err.name === 'AbortError') return err;
  const code = err.code ?? '';
  const hint = TLS_CODES.test(code) ? ' (the source\'s certificate is not trusted: add its CA to import.caFile, see docs/import.md)' : '';
  return new ImportFailure(`cannot reach ${url.host}: ${err.message}${hint}`, 'SourceUnreachable');
}

/** Reads a response body whole, refusing more than `limit` bytes (manifests, token and error bodies). */
export async function readLimited(res: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw new ImportFailure(`${what} is ${declared} bytes; the limit is ${limit}`);
  }
  return collectUpTo(res as AsyncIterable<Buffer>, limit, () => {
    res.destroy();
    return new ImportFailure(`${what} exceeds ${limit} bytes`);
  });
}

/** The import section of the configuration as SourceTls; fails at start-up when import.caFile cannot be read. */
export function loadSourceTls(config: { caFile?: string; insecureHosts: readonly string[] }): SourceTls {
  if (config.caFile === undefined) return { insecureHosts: config.insecureHosts };
  try {
    return { extraCaPem: readFileSync(config.caFile, 'utf8'), insecureHosts: config.insecureHosts };
  } catch (err) {
    throw new Error(`import.caFile: cannot read ${config.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
