import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { waitFor } from './net.ts';

export interface LoggedProcess {
  process: ChildProcess;
  /** Resolves once the process has exited (at once if it already has). */
  exited: Promise<void>;
  /** Everything the process printed so far (stdout and stderr); '' once the log is gone. */
  output(): string;
}

/** Spawns `command` with stdin closed and stdout and stderr appended to the file `logPath`. */
export function spawnLogged(command: string, args: readonly string[], logPath: string, env?: NodeJS.ProcessEnv): LoggedProcess {
  const logFd = openSync(logPath, 'a');
  const child = spawn(command, args, { env: env ?? process.env, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const output = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  return { process: child, exited, output };
}

export interface LaunchOptions {
  /** Names the server in the log file name and in error messages, e.g. 'notary-server'. */
  name: string;
  command: string;
  args: readonly string[];
  /** The server's own temp dir: its log goes here, and stop() removes it. */
  dir: { path: string; remove(): Promise<void> };
  /** e.g. https://127.0.0.1:40123; fetch() resolves paths against it. */
  origin: string;
  /** PEM bundle that fetch() trusts. */
  caPem: string;
  /** Polled until it answers 2xx, e.g. '/v2/'. */
  healthPath: string;
}

export interface LaunchedServer {
  process: ChildProcess;
  /** fetch against `origin`, trusting `caPem`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** What the server printed (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM by PID, waits for exit, then removes `dir`. */
  stop(): Promise<void>;
}

/**
 * Starts a TLS server process logging to `<dir>/<name>.log` and waits until `healthPath` answers.
 * If it does not (it exits, or the deadline passes), stops it and throws with what it printed.
 */
export async function launchServer(opts: LaunchOptions): Promise<LaunchedServer> {
  const { name } = opts;
  const { process: child, exited, output } = spawnLogged(opts.command, opts.args, join(opts.dir.path, `${name}.log`));
  const agent = new Agent({ connect: { ca: opts.caPem } });
  const doFetch = (path: string, init: RequestInit = {}) => undiciFetch(opts.origin + path, { ...init, dispatcher: agent });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await agent.close();
    await opts.dir.remove();
  };
  try {
    await waitFor(`${name} on ${new URL(opts.origin).host}`, async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
      const res = await doFetch(opts.healthPath);
      await res.arrayBuffer();
      return res.ok;
    });
  } catch (err) {
    const out = output();
    await stop();
    throw new Error(`${name} did not start: ${(err as Error).message}\n${out}`);
  }
  return { process: child, fetch: doFetch, output, stop };
}
