// @peculiar/x509 resolves its services through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { Config } from '../config/schema.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

export interface TlsMaterial {
  cert: string;
  key: string;
  /** The CA clients must trust; undefined for a user-supplied certificate. */
  caFile?: string;
  /** DNS names and IPs the certificate is valid for. */
  names: string[];
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
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
  const ca = await loadOrCreateCa(dir);
  const wanted = [...new Set(['localhost', '127.0.0.1', listenHost].filter((h) => h !== '0.0.0.0' && h !== '::'))];
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = await readFile(certPath, 'utf8');
    const current = new X509Certificate(cert);
    const names = namesOf(cert);
    const fresh = Date.parse(current.validTo) - Date.now() > 30 * DAY_MS;
    if (fresh && wanted.every((n) => names.includes(n)) && current.checkIssued(new X509Certificate(ca.certPem))) {
      return { cert, key: await readFile(keyPath, 'utf8'), caFile: join(dir, 'ca.crt'), names };
    }
  }
  const issued = await issueServerCert(ca, wanted);
  await writeFile(keyPath, issued.key, { mode: 0o600 });
  await writeFile(certPath, issued.cert);
  return { cert: issued.cert, key: issued.key, caFile: join(dir, 'ca.crt'), names: wanted };
}

interface Ca {
  certPem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function loadOrCreateCa(dir: string): Promise<Ca> {
  const certPath = join(dir, 'ca.crt');
  const keyPath = join(dir, 'ca.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const certPem = await readFile(certPath, 'utf8');
    const cert = new x509.X509Certificate(certPem);
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pemBody(await readFile(keyPath, 'utf8')), ALGORITHM, true, ['sign']);
    return { certPem, cert, keys: { privateKey, publicKey: await cert.publicKey.export(ALGORITHM, ['verify']) } };
  }
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=Wharf local CA',
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem') + '\n';
  await writeFile(keyPath, await privatePem(keys.privateKey), { mode: 0o600 });
  await writeFile(certPath, certPem);
  return { certPem, cert, keys };
}

async function issueServerCert(ca: Ca, names: string[]): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${names.find((n) => isIP(n) === 0) ?? names[0]}`,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 397 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => (isIP(n) === 0 ? { type: 'dns' as const, value: n } : { type: 'ip' as const, value: n })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert: cert.toString('pem') + '\n' + ca.certPem, key: await privatePem(keys.privateKey) };
}

function namesOf(certPem: string): string[] {
  const alt = new X509Certificate(certPem).subjectAltName ?? '';
  return alt
    .split(', ')
    .map((entry) => entry.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function privatePem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
