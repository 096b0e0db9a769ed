import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './net.ts';
import { requireRoot, requireTools, run, type RunOptions, type RunResult } from './run.ts';
import { spawnLogged } from './server-process.ts';

export interface Dockerd {
  /** unix:///tmp/wd-XXXX/d.sock */
  host: string;
  /** DOCKER_HOST and DOCKER_CONFIG (an own, empty client config dir) over process.env. */
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Runs the docker CLI against this daemon; never rejects for a non-zero exit. */
  docker(args: string[], opts?: Omit<RunOptions, 'env'>): Promise<RunResult>;
  /** What dockerd logged, for diagnostics. */
  log(): string;
  /** SIGTERM, SIGKILL after a deadline, then removes data-root, exec-root and client config. */
  stop(): Promise<void>;
}

export interface DockerdOptions {
  /**
   * /etc/hosts as dockerd should see it (bind-mounted in a private mount namespace). dockerd
   * treats 127.0.0.0/8 as an insecure registry and skips TLS verification there, so tests that
   * must prove certs.d trust give it `::1 localhost` and reach the registry as localhost:<port>.
   */
  hosts?: string;
}

/**
 * Starts a private dockerd (vfs, no bridge, no iptables) as root under a short temp dir and waits
 * until `docker version` answers. The caller stops it (t.after / after).
 */
export async function startDockerd(opts: DockerdOptions = {}): Promise<Dockerd> {
  requireTools('docker', 'dockerd', ...(opts.hosts === undefined ? [] : ['unshare', 'mount']));
  requireRoot('dockerd');
  // Short root: the socket path must stay under the ~108-byte unix socket limit.
  const dir = await mkdtemp('/tmp/wd-');
  const sock = join(dir, 'd.sock');
  const configDir = join(dir, 'cfg');
  await mkdir(configDir);
  await writeFile(join(configDir, 'config.json'), '{}');
  // Own config file (not /etc/docker/daemon.json); keeps dockerd 20.10's key.json out of /etc/docker.
  await writeFile(join(dir, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  const dockerdArgs = [
    '--config-file', join(dir, 'daemon.json'),
    '--data-root', join(dir, 'data'),
    '--exec-root', join(dir, 'x'),
    '--pidfile', join(dir, 'dockerd.pid'),
    '-H', `unix://${sock}`,
    '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs',
    '--containerd-namespace', `e2e-${dir.slice(-6)}`, '--containerd-plugins-namespace', `e2e-${dir.slice(-6)}-p`,
  ];
  let cmd = 'dockerd';
  let args = dockerdArgs;
  if (opts.hosts !== undefined) {
    await writeFile(join(dir, 'hosts'), opts.hosts);
    cmd = 'unshare';
    // unshare execs sh, which execs dockerd: the child PID stays dockerd's.
    args = ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec dockerd "$@"', join(dir, 'hosts'), ...dockerdArgs];
  }
  const { process: child, exited, output: log } = spawnLogged(cmd, args, join(dir, 'dockerd.log'));
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: configDir };
  const docker = (a: string[], o: Omit<RunOptions, 'env'> = {}) => run('docker', a, { ...o, env });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(deadline);
    }
    await killManagedContainerd(join(dir, 'x'));
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    await waitFor(
      `dockerd on ${sock}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}`);
        return (await docker(['version'], { timeoutMs: 5_000 })).code === 0;
      },
      60_000,
    );
  } catch (err) {
    const output = log();
    await stop();
    throw new Error(`dockerd did not start: ${(err as Error).message}\n${output}`);
  }
  return { host: `unix://${sock}`, env, pid: child.pid!, docker, log, stop };
}

/** dockerd starts its own containerd under exec-root; make sure it is gone if dockerd was killed. */
async function killManagedContainerd(execRoot: string): Promise<void> {
  const pidFile = join(execRoot, 'containerd', 'containerd.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  await waitFor(`containerd ${pid} to exit`, async () => !alive(pid), 10_000).catch(() => process.kill(pid, 'SIGKILL'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Unmounts (deepest first) whatever dockerd left mounted under `dir` in our mount namespace. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]);
}

/**
 * Makes dockerd trust `caPem` for the registry `hostPort` (as it appears in image references) by
 * writing /etc/docker/certs.d/<hostPort>/ca.crt, which dockerd reads per registry on each pull and
 * push. Returns the cleanup that removes it again.
 */
export async function trustRegistryCa(hostPort: string, caPem: string): Promise<() => Promise<void>> {
  requireRoot('writing /etc/docker/certs.d');
  const base = '/etc/docker/certs.d';
  const dir = join(base, hostPort);
  const hadBase = existsSync(base);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'ca.crt'), caPem);
  return async () => {
    await rm(dir, { recursive: true, force: true });
    if (!hadBase) await rmdir(base).catch(() => undefined); // fails, harmlessly, unless empty
  };
}

/**
 * Forwards TCP from [::1]:<port> to 127.0.0.1:<port>, so that a daemon resolving localhost to ::1
 * reaches a server bound to 127.0.0.1 with TLS passed through untouched. Returns the closer.
 */
export async function forwardIpv6Loopback(port: number): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '::1', () => resolve());
  });
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
}
