import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mustRun } from './run.ts';

/**
 * Writes into `dir` a fresh P-256 CA (`ca.crt`, `ca.key`, subject CN=`caName`) and a server
 * certificate it signed (`server.crt`, `server.key`) for localhost, 127.0.0.1 and ::1, valid 2 days.
 */
export async function makeServerCertificates(dir: string, caName: string): Promise<void> {
  const o = (args: string[]) => mustRun('openssl', args, { cwd: dir });
  await o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${caName}`, '-keyout', 'ca.key', '-out', 'ca.crt']);
  await o(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
    '-keyout', 'server.key', '-out', 'server.csr']);
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n');
  await o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-extfile', 'ext.cnf', '-out', 'server.crt']);
}
