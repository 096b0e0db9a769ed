import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { findRegistry, readCliConfig } from '../cli-config.ts';
import { CliError } from '../cli-error.ts';
import { formatCheck, reportOf, type HealthCheck } from '../health-check.ts';
import { dockerClientCheck, lacksContentTrust, notaryClientCheck } from '../local-client-checks.ts';
import { OUTPUT_FORMATS, renderResult, type OutputFormat } from '../output.ts';
import { registryChecks, type HealthTarget } from '../registry-checks.ts';
import { parseServer } from '../session.ts';

interface CheckHealthOptions {
  name?: string;
  caFile?: string;
  ignoreErrors?: boolean;
  yes?: boolean;
  output: OutputFormat | 'text';
  query?: string;
}

/** `wharf check-health` (az acr check-health): this machine's docker and notary, then the registry's endpoints. */
export function registerCheckHealthCommand(program: Command): void {
  program
    .command('check-health')
    .description("check this machine's docker and notary clients and a registry: reachability, TLS and certificate expiry, token endpoint, trust server, clock skew")
    .option('-n, --name <registry>', 'a logged-in registry (name or login server) or an address, host:port or https://host:port (default: the last one logged in)')
    .option('--ca-file <file>', 'PEM CA to trust for the registry (default: the one given to wharf login)')
    .option('--ignore-errors', 'run every check even after an error, and exit 0')
    .option('-y, --yes', 'do not prompt for confirmation (accepted as az does; check-health asks nothing)')
    .addOption(new Option('-o, --output <format>', 'text: a line per check, as az prints it; or the structured result').choices(['text', ...OUTPUT_FORMATS]).default('text'))
    .option('--query <jmespath>', 'JMESPath query applied to the structured result')
    .addHelpText('after', `
Stops at the first error and exits non-zero (5 unreachable or TLS, 4 login refused, 1 other), unless
--ignore-errors. Warnings (certificate expiring within 30 days, clock skew over 60 s, docker 29+
which does not do Docker Content Trust) never fail the command. See docs/cli.md.

Examples:
  wharf check-health
  wharf check-health -n registry.example.com:5443 --ignore-errors
  wharf check-health -n https://127.0.0.1:5443 --ca-file data/tls/ca.crt -o json
`)
    .action((opts: CheckHealthOptions) => checkHealth(opts));
}

async function checkHealth(opts: CheckHealthOptions): Promise<void> {
  const target = targetOf(opts.name, opts.caFile);
  const asText = opts.output === 'text';
  const checks: HealthCheck[] = [];
  /** Records a check and prints it at once in text mode; true when the run must stop. */
  const record = (check: HealthCheck): boolean => {
    checks.push(check);
    if (asText) process.stdout.write(formatCheck(check));
    return check.status === 'error' && opts.ignoreErrors !== true;
  };
  // Both programs run while the registry is checked; their lines keep az's order.
  const notary = notaryClientCheck();
  const docker = await dockerClientCheck();
  let stopped = record(docker);
  if (!stopped && target === undefined) {
    stopped = record({ name: 'registry', status: 'skipped', message: 'Registry: none named (-n) and none logged in, so only this machine was checked' });
  }
  if (!stopped && target !== undefined) {
    for await (const check of registryChecks(target, lacksContentTrust(docker))) {
      if ((stopped = record(check))) break;
    }
  }
  if (!stopped) record(await notary);
  if (!asText) {
    process.stdout.write(renderResult(reportOf(target?.loginServer ?? null, checks), { format: opts.output as OutputFormat, query: opts.query, color: !process.env.NO_COLOR }));
  }
  const failed = checks.find((c) => c.status === 'error');
  if (failed !== undefined && opts.ignoreErrors !== true) {
    throw new CliError(failed.kind ?? 'server', `check-health stopped at ${failed.code}; --ignore-errors runs every check`);
  }
}

/** The registry to check: a logged-in one by name or login server, else an address; none without -n and a login. */
function targetOf(name: string | undefined, caFile: string | undefined): HealthTarget | undefined {
  const config = readCliConfig();
  let stored = findRegistry(config, name);
  let address: { url: string; loginServer: string } | undefined;
  if (stored === undefined && name !== undefined) {
    if (!/[.:]/.test(name)) throw new CliError('usage', `not logged in to a registry named '${name}': name it by its address (host:port)`);
    address = parseServer(name);
    stored = findRegistry(config, address.loginServer);
  }
  const { url, loginServer } = address ?? stored ?? {};
  if (url === undefined || loginServer === undefined) return undefined;
  const ca = caFile === undefined ? stored?.caFile : resolve(caFile);
  return { url, loginServer, ...(ca !== undefined && { caFile: ca }), ...(stored?.refreshToken !== undefined && { refreshToken: stored.refreshToken }) };
}
