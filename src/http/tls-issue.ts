// @peculiar/x509 resolves its services through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

// Loaded only when a certificate must be issued: the library is large and a serving process
// should not carry it (every full garbage collection walks what is loaded).
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

interface Ca {
  certPem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** Issues a server certificate for `names` from the CA in `dir` (created on first use); writes server.crt/.key. */
export async function issueServerCertificate(dir: string, names: string[]): Promise<{ cert: string; key: string }> {
  const ca = await loadOrCreateCa(dir);
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
  const issued = { cert: cert.toString('pem') + '\n' + ca.certPem, key: await privatePem(keys.privateKey) };
  await writeAtomically(join(dir, 'server.key'), issued.key, 0o600);
  await writeAtomically(join(dir, 'server.crt'), issued.cert, 0o644);
  return issued;
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
  await writeAtomically(keyPath, await privatePem(keys.privateKey), 0o600);
  await writeAtomically(certPath, certPem, 0o644);
  return { certPem, cert, keys };
}

/** Readers (clients copying ca.crt, a concurrent start) never see a half-written file. */
async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, text, { mode });
  await rename(partial, path);
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
