import type { HealthCheck } from './health-check.ts';
import { runProgram, type ProgramRun } from './health-probes.ts';

/** The first docker release whose CLI no longer does Docker Content Trust (DOCKER_CONTENT_TRUST is ignored). */
export const DOCKER_WITHOUT_DCT = 29;

/** Where to point users whose docker does not verify signatures. */
export const ENFORCE_HINT = "have the registry refuse unsigned images instead: 'wharf config content-trust update --status enforced' (docs/trust.md)";

/**
 * The docker CLI found on PATH, from `docker version --format '{{.Client.Version}}'`, which prints the
 * client's version even when the daemon is unreachable (and then exits 1).
 */
export async function dockerClientCheck(): Promise<HealthCheck> {
  return assessDockerClient(await runProgram('docker', ['version', '--format', '{{.Client.Version}}']));
}

/** Judges what `docker version --format '{{.Client.Version}}'` printed (pure, unit-tested). */
export function assessDockerClient(run: ProgramRun): HealthCheck {
  const name = 'dockerClient';
  if (run.missing) {
    return {
      name, status: 'error', kind: 'server', code: 'DOCKER_COMMAND_ERROR', message: 'docker was not found on PATH',
      hint: 'install the docker CLI (up to 28.x for Docker Content Trust), or run with --ignore-errors to check the registry alone',
    };
  }
  const version = /^\s*v?(\d+)\.(\d+)\S*/.exec(run.stdout)?.[0]?.trim();
  if (version === undefined) {
    return {
      name, status: 'error', kind: 'server', code: 'DOCKER_VERSION_ERROR',
      message: `'docker version' printed no client version: ${firstLine(run.stderr || run.stdout) || `exit code ${run.code}`}`,
    };
  }
  const major = Number(/\d+/.exec(version)![0]);
  const daemonReachable = run.code === 0;
  const details = { version, major, contentTrust: major < DOCKER_WITHOUT_DCT, daemonReachable };
  if (major >= DOCKER_WITHOUT_DCT) {
    return {
      name, status: 'warning', code: 'DOCKER_CONTENT_TRUST_UNSUPPORTED', details,
      message: `Docker client version: ${version}: docker ${DOCKER_WITHOUT_DCT}+ does not do Docker Content Trust (DOCKER_CONTENT_TRUST=1 is ignored), so it pulls unsigned images`,
      hint: `${ENFORCE_HINT}; or use docker 28.x or the notary CLI to sign and verify`,
    };
  }
  if (!daemonReachable) {
    return {
      name, status: 'warning', code: 'DOCKER_DAEMON_ERROR', details,
      message: `Docker client version: ${version}; the docker daemon is not reachable: ${firstLine(run.stderr)}`,
      hint: 'start dockerd (or point DOCKER_HOST at one) to pull and push',
    };
  }
  return { name, status: 'ok', message: `Docker client version: ${version} (does Docker Content Trust)`, details };
}

/** The notary CLI, which signs and verifies without docker; missing is only a warning (docker 28 signs by itself). */
export async function notaryClientCheck(): Promise<HealthCheck> {
  const name = 'notaryClient';
  const run = await runProgram('notary', ['version']);
  if (run.missing) {
    return {
      name, status: 'warning', code: 'NOTARY_COMMAND_ERROR', message: 'notary was not found on PATH',
      hint: 'install the notary CLI to manage trust keys and delegations, or to sign and verify with docker 29+',
    };
  }
  if (run.code !== 0) {
    return { name, status: 'error', kind: 'server', code: 'NOTARY_VERSION_ERROR', message: `'notary version' failed: ${firstLine(run.stderr || run.stdout)}` };
  }
  // Distribution builds (Debian's) leave the version empty: `Version:` with nothing after it.
  const version = /^\s*Version:[ \t]*(\S+)/m.exec(run.stdout)?.[1];
  return { name, status: 'ok', message: `Notary client version: ${version ?? 'unknown (the build does not say)'}`, details: { version: version ?? null } };
}

/** Whether the docker client found lacks Docker Content Trust, as the policy check wants to know. */
export function lacksContentTrust(docker: HealthCheck | undefined): boolean {
  return docker?.code === 'DOCKER_CONTENT_TRUST_UNSUPPORTED';
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
