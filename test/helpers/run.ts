import { spawn, spawnSync } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code; -1 when the process was killed by a signal (e.g. the timeout). */
  code: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, then stdin is closed. */
  input?: string | Buffer;
  /** SIGKILL after this long (default 5 minutes). */
  timeoutMs?: number;
}

/** Runs a command to completion; never rejects for a non-zero exit (check `code`). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 });
    });
    child.stdin.end(opts.input);
  });
}

/** Like run(), but throws with the full output when the command exits non-zero. */
export async function mustRun(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const res = await run(cmd, args, opts);
  if (res.code !== 0) throw new Error(describeFailure(cmd, args, res));
  return res;
}

export function describeFailure(cmd: string, args: readonly string[], res: RunResult): string {
  return `${cmd} ${args.join(' ')} exited with ${res.code}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`;
}

/**
 * Fails loudly when a required executable is missing: e2e tests never skip silently, since CI
 * installs these tools (Debian packages docker.io, skopeo).
 */
export function requireTools(...names: string[]): void {
  const missing = names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(`e2e tests need ${missing.join(', ')} on PATH (apt-get install docker.io skopeo)`);
  }
}

/** Fails loudly unless running as root (dockerd and /etc/docker/certs.d need it). */
export function requireRoot(why: string): void {
  if (process.getuid?.() !== 0) throw new Error(`${why} needs root; run the e2e tests as root`);
}
