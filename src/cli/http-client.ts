import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { CliError } from './cli-error.ts';

/** Where a registry is reached: its base URL (`https://host:port`) and an extra CA to trust. */
export interface Endpoint {
  readonly url: string;
  readonly caFile?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpRequestOptions {
  readonly method: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * One request over node:http(s), trusting the system roots plus `caFile` (Wharf generates its own
 * CA). Any failure to get an answer is a `network` CliError; every HTTP status is returned.
 */
export function send(endpoint: Endpoint, path: string, opts: HttpRequestOptions): Promise<HttpResponse> {
  const url = new URL(path, endpoint.url);
  const ca = endpoint.caFile === undefined ? undefined : [...rootCertificates, readCa(endpoint.caFile)];
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method, headers: opts.headers, ca, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (err) => reject(networkError(url, err)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(networkError(url, err)));
    req.end(opts.body);
  });
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('usage', `cannot read the CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|HOSTNAME/;

function networkError(url: URL, err: NodeJS.ErrnoException): CliError {
  const code = err.code ?? '';
  const hint = TLS_CODES.test(code) ? ' (is the registry CA trusted? pass --ca-file <ca.crt> to wharf login)' : '';
  return new CliError('network', `cannot reach ${url.origin}: ${err.message}${hint}`);
}
