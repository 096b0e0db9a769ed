import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Credentials } from './registry-login.ts';
import { run, type RunResult } from './run.ts';
import { tmpDir } from './tmp.ts';
import { WHARF_BIN } from './wharf.ts';

/**
 * The real `wharf` CLI (node bin/wharf.mjs) as a user runs it, with its own config directory and
 * docker config directory under a temp dir, so that tests never read or touch ~/.wharf or ~/.docker.
 */
export interface WharfCli {
  /** WHARF_CONFIG_DIR */
  readonly configDir: string;
  /** DOCKER_CONFIG */
  readonly dockerConfigDir: string;
  /** Runs `wharf <args>`; never rejects for a non-zero exit. */
  run(args: readonly string[], opts?: { input?: string; env?: Record<string, string> }): Promise<RunResult>;
  /** Runs it and parses stdout as JSON, failing with the whole output unless it exits 0. */
  json(args: readonly string[], opts?: { input?: string; env?: Record<string, string> }): Promise<unknown>;
  /** Runs it expecting exit `code`, nothing on stdout and one `wharf: …` line on stderr; returns that line. */
  fails(code: number, args: readonly string[], opts?: { env?: Record<string, string> }): Promise<string>;
  /** The CLI's config file, parsed. */
  cliConfig(): Promise<CliConfigFile>;
  /** docker's config.json, parsed. */
  dockerConfig(): Promise<{ auths?: Record<string, { auth?: string; identitytoken?: string }>; [key: string]: unknown }>;
  remove(): Promise<void>;
}

export interface CliConfigFile {
  current?: string;
  registries: Record<string, { loginServer: string; url: string; name?: string; caFile?: string; username: string; refreshToken?: string }>;
}

/** `dockerConfigDir` lets a test share docker's config with a real docker client (default: own temp dir). */
export async function wharfCli(opts: { dockerConfigDir?: string } = {}): Promise<WharfCli> {
  const dir = await tmpDir('wharf-cli-');
  const configDir = join(dir.path, 'wharf');
  const dockerConfigDir = opts.dockerConfigDir ?? join(dir.path, 'docker');
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, WHARF_CONFIG_DIR: configDir, DOCKER_CONFIG: dockerConfigDir, NO_COLOR: '1' };
  delete baseEnv.WHARF_USERNAME;
  delete baseEnv.WHARF_PASSWORD;
  const runCli = (args: readonly string[], o: { input?: string; env?: Record<string, string> } = {}) =>
    run(process.execPath, [WHARF_BIN, ...args], { env: { ...baseEnv, ...o.env }, input: o.input, timeoutMs: 60_000 });
  return {
    configDir,
    dockerConfigDir,
    run: runCli,
    async json(args, o) {
      const res = await runCli(args, o);
      if (res.code !== 0) throw new Error(`wharf ${args.join(' ')} exited with ${res.code}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`);
      return JSON.parse(res.stdout) as unknown;
    },
    async fails(code, args, o) {
      const res = await runCli(args, o);
      assert.equal(res.code, code, `wharf ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /^wharf: [^\n]+\n$/);
      return res.stderr;
    },
    async cliConfig() {
      return JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as CliConfigFile;
    },
    async dockerConfig() {
      return JSON.parse(await readFile(join(dockerConfigDir, 'config.json'), 'utf8'));
    },
    remove: dir.remove,
  };
}

/** `wharf login` as the instance's owner, trusting its CA; throws with the CLI's error unless it succeeds. */
export async function loginAsOwner(cli: WharfCli, wharf: { host: string; caFile?: string; credentials?: Credentials }): Promise<void> {
  if (!wharf.credentials || !wharf.caFile) throw new Error('loginAsOwner needs an HTTPS Wharf that knows its owner password');
  const res = await cli.run(['login', wharf.host, '-u', wharf.credentials.username, '-p', wharf.credentials.password, '--ca-file', wharf.caFile]);
  if (res.code !== 0) throw new Error(`wharf login exited with ${res.code}: ${res.stderr}`);
}
