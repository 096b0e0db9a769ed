import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, rootCertificates } from 'node:tls';

/** What a TLS handshake with the registry showed, whether or not the certificate is trusted. */
export interface TlsProbe {
  /** Verified against the system roots plus the CA file, host name included. */
  readonly trusted: boolean;
  /** OpenSSL's reason when not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED... */
  readonly reason?: string;
  readonly subject?: string;
  readonly validTo?: Date;
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Connects to `host:port` and completes a TLS handshake without rejecting the certificate, so that
 * an untrusted or expired one can still be described. Rejects when no connection is made.
 */
export function probeTls(url: URL, caFile: string | undefined): Promise<TlsProbe> {
  const ca = caFile === undefined ? undefined : [...rootCertificates, readFileSync(caFile, 'utf8')];
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host, port: Number(url.port || 443), ca, rejectUnauthorized: false, timeout: PROBE_TIMEOUT_MS,
      // SNI takes host names only.
      ...(isIP(host) === 0 && { servername: host }),
    }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve({
        trusted: socket.authorized,
        ...(socket.authorizationError !== null && socket.authorizationError !== undefined && { reason: String(socket.authorizationError) }),
        ...(cert.subject !== undefined && { subject: Object.entries(cert.subject).map(([k, v]) => `${k}=${String(v)}`).join(', ') }),
        ...(cert.valid_to !== undefined && { validTo: new Date(cert.valid_to) }),
      });
    });
    socket.on('timeout', () => socket.destroy(Object.assign(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    socket.on('error', reject);
  });
}

/** Opens and closes a TCP connection (a registry served over plain HTTP). */
export function probeTcp(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80), timeout: PROBE_TIMEOUT_MS }, () => {
      socket.destroy();
      resolve();
    });
    socket.on('timeout', () => socket.destroy(Object.assign(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    socket.on('error', reject);
  });
}

/** What running a local program printed; `missing` when it is not on PATH. */
export type ProgramRun =
  | { readonly missing: true }
  | { readonly missing: false; readonly code: number; readonly stdout: string; readonly stderr: string };

/** Runs a program with a timeout, never rejecting: a non-zero exit is part of the answer. */
export function runProgram(file: string, args: readonly string[]): Promise<ProgramRun> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') return resolve({ missing: true });
      resolve({ missing: false, code: err === null ? 0 : typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}
