import type { Command } from 'commander';
import type { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

/** Adds the flags every server-side command shares (they override wharf.yaml and WHARF_* env). */
export function withServerOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML configuration file (default: ./wharf.yaml when present)')
    .option('--listen <host:port>', 'address to listen on (WHARF_LISTEN; default 127.0.0.1:5443)')
    .option('--data <dir>', 'data directory (WHARF_DATA; default ./data)')
    .option('--metadata <url>', "metadata store: sqlite, sqlite:<path> or postgres://... (WHARF_METADATA)")
    .option('--no-tls', 'serve plain HTTP instead of HTTPS')
    .option('--tls-cert <file>', 'PEM certificate chain (instead of the generated one)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent');
}

/** The configuration for a command: defaults < wharf.yaml < env < the command's flags. */
function configFrom(cmd: Command, load: typeof loadConfig): Config {
  const o = cmd.opts<Record<string, string | boolean | undefined>>();
  const flags: Record<string, unknown> = {};
  const tls: Record<string, unknown> = {};
  if (o.listen !== undefined) flags.listen = o.listen;
  if (o.data !== undefined) flags.data = o.data;
  if (o.metadata !== undefined) flags.metadata = o.metadata;
  if (cmd.getOptionValueSource('tls') === 'cli') tls.enabled = o.tls;
  if (o.tlsCert !== undefined) tls.cert = o.tlsCert;
  if (o.tlsKey !== undefined) tls.key = o.tlsKey;
  if (Object.keys(tls).length > 0) flags.tls = tls;
  if (o.logLevel !== undefined) flags.log = { level: o.logLevel };
  return load({ flags, file: o.config as string | undefined });
}

/** Runs a command body, turning configuration problems into a listed message and exit code 2. */
export async function runWithConfig(cmd: Command, body: (config: Config) => Promise<void>): Promise<void> {
  // Imported here, not at the top: client commands do not load the configuration schema (main.ts).
  const { ConfigError, loadConfig } = await import('../config/load.ts');
  let config: Config;
  try {
    config = configFrom(cmd, loadConfig);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`wharf: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  await body(config);
}
