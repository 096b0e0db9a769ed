import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** The CA clients must trust; undefined for a user-supplied certificate. */
  caFile?: string;
  /** DNS names and IPs the certificate is valid for. */
  names: string[];
}

const DAY_MS = 86_400_000;

/**
 * The server's certificate: the user's when configured, otherwise one issued by a CA generated on
 * first start under <data>/tls and reused, so that clients trust ca.crt once. The server
 * certificate is re-issued when the listen host is missing from its names or it nears expiry.
 */
export async function loadTls(config: Config, listenHost: string): Promise<TlsMaterial> {
  if (config.tls.cert !== undefined && config.tls.key !== undefined) {
    const cert = await readFile(config.tls.cert, 'utf8');
    return { cert, key: await readFile(config.tls.key, 'utf8'), names: namesOf(cert) };
  }
  const dir = join(config.data, 'tls');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.crt');
  const wanted = [...new Set(['localhost', '127.0.0.1', listenHost].filter((h) => h !== '0.0.0.0' && h !== '::'))];
  const current = await currentServerCertificate(dir, caFile, wanted);
  if (current) return { ...current, caFile, names: namesOf(current.cert) };
  const { issueServerCertificate } = await import('./tls-issue.ts');
  return { ...(await issueServerCertificate(dir, wanted)), caFile, names: wanted };
}

/** The stored server certificate when it is issued by our CA, names every wanted host and is not near expiry. */
async function currentServerCertificate(dir: string, caFile: string, wanted: string[]): Promise<{ cert: string; key: string } | undefined> {
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  if (!existsSync(certPath) || !existsSync(keyPath) || !existsSync(caFile)) return undefined;
  const cert = await readFile(certPath, 'utf8');
  const parsed = new X509Certificate(cert);
  const fresh = Date.parse(parsed.validTo) - Date.now() > 30 * DAY_MS;
  const names = namesOf(cert);
  if (!fresh || !wanted.every((n) => names.includes(n)) || !parsed.checkIssued(new X509Certificate(await readFile(caFile)))) {
    return undefined;
  }
  return { cert, key: await readFile(keyPath, 'utf8') };
}

function namesOf(certPem: string): string[] {
  const alt = new X509Certificate(certPem).subjectAltName ?? '';
  return alt
    .split(', ')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
}
