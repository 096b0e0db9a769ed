import { forwardIpv6Loopback, startDockerd, trustRegistryCa, type Dockerd } from './dockerd.ts';
import { startWharf, type StartOptions, type WharfInstance } from './wharf.ts';

/** A Wharf and a private dockerd that trusts its CA, with one stack of cleanups for both and the test's own. */
export interface DockerWithWharf {
  readonly wharf: WharfInstance;
  readonly dockerd: Dockerd;
  /** `localhost:<port>`: the registry as dockerd reaches it, which is also the trust GUN's host. */
  readonly host: string;
  /** Registers a cleanup for stop(), which runs them newest first. */
  defer(cleanup: () => Promise<void>): void;
  /** Runs every cleanup, newest first, even after one fails; then throws the failures together. */
  stop(): Promise<void>;
}

/**
 * Starts Wharf and a private dockerd. dockerd never verifies TLS for 127.0.0.0/8 (always
 * "insecure"), so it reaches the registry as localhost:<port>, localhost resolving to ::1 (its own
 * /etc/hosts) forwarded to 127.0.0.1, and the Wharf CA is trusted in certs.d for that name; the
 * realm and service of Wharf's challenges are then localhost:<port> too (a certificate name).
 * If starting fails, whatever had started is stopped before the error is thrown.
 */
export async function startDockerWithWharf(wharfOptions: StartOptions): Promise<DockerWithWharf> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'e2e cleanup failed');
  };
  try {
    const wharf = await startWharf(wharfOptions);
    cleanups.push(() => wharf.stop());
    cleanups.push(await forwardIpv6Loopback(wharf.port));
    const dockerd = await startDockerd({ hosts: '::1 localhost\n' });
    cleanups.push(() => dockerd.stop());
    const host = `localhost:${wharf.port}`;
    cleanups.push(await trustRegistryCa(host, wharf.caPem!));
    return { wharf, dockerd, host, defer: (cleanup) => void cleanups.push(cleanup), stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
