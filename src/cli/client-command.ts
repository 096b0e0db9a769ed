import { Command, Option } from 'commander';
import type { ApiClient } from './api-client.ts';
import { OUTPUT_FORMATS, renderResult, type OutputFormat, type TableTransformer } from './output.ts';
import { openSession } from './session.ts';

/** How a command names its registry: `-n/--name` where the registry is the subject (az acr show), else `-r/--registry`. */
export type RegistryFlag = 'name' | 'registry';

export interface ClientCommandSpec<O> {
  /** Name and positional arguments, as commander takes them: `create`, `login [server]`. */
  readonly name: string;
  readonly description: string;
  readonly examples: readonly string[];
  readonly registryFlag: RegistryFlag;
  /**
   * Adds -u/-p for Basic credentials (default true). Commands whose own `--password` sets
   * someone's password take Basic credentials from WHARF_USERNAME/WHARF_PASSWORD only.
   */
  readonly credentialFlags?: boolean;
  readonly tableTransformer?: TableTransformer;
  /** The command's own options and arguments. */
  readonly configure?: (cmd: Command) => void;
  /** The result to print; undefined prints nothing (deletes). */
  readonly run: (ctx: ClientContext<O>) => Promise<unknown>;
}

export interface ClientContext<O> {
  /** The command's options, global ones included. */
  readonly opts: O;
  /** The declared arguments, in order (a variadic one as an array). */
  readonly args: readonly unknown[];
  /** The API client for the selected registry (read from the CLI config on first use). */
  api(): ApiClient;
}

interface GlobalOptions {
  output: OutputFormat;
  query?: string;
  name?: string;
  registry?: string;
  username?: string;
  password?: string;
  caFile?: string;
}

/**
 * A management command with the options every one of them has: registry selection, -o/--output,
 * --query, credentials and --ca-file. Errors are thrown as CliError and printed by main.ts.
 */
export function clientCommand<O extends object>(parent: Command, spec: ClientCommandSpec<O>): Command {
  const cmd = parent.command(spec.name).description(spec.description);
  spec.configure?.(cmd);
  if (spec.registryFlag === 'name') cmd.option('-n, --name <registry>', 'registry name or login server (default: the last one logged in)');
  else cmd.option('-r, --registry <registry>', 'registry name or login server (default: the last one logged in)');
  if (spec.credentialFlags !== false) {
    cmd.option('-u, --username <name>', 'user name or service principal appId, instead of the login (env WHARF_USERNAME)');
    cmd.option('-p, --password <secret>', 'its password or secret (env WHARF_PASSWORD)');
  }
  cmd.option('--ca-file <file>', 'PEM CA to trust for the registry (default: the one given to wharf login)');
  cmd.addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('json'));
  cmd.option('--query <jmespath>', 'JMESPath query applied to the result (jmespath.org)');
  cmd.addHelpText('after', examplesText(spec.examples));
  cmd.action(async (...actionArgs: unknown[]) => {
    const command = actionArgs[actionArgs.length - 1] as Command;
    const opts = command.opts<GlobalOptions & O>();
    const registry = spec.registryFlag === 'name' ? opts.name : opts.registry;
    let api: ApiClient | undefined;
    const result = await spec.run({
      opts,
      args: command.processedArgs,
      api: () => (api ??= openSession({
        registry,
        username: spec.credentialFlags === false ? undefined : opts.username,
        password: spec.credentialFlags === false ? undefined : opts.password,
        caFile: opts.caFile,
      })),
    });
    if (result === undefined) return;
    process.stdout.write(renderResult(result, {
      format: opts.output,
      query: opts.query,
      tableTransformer: spec.tableTransformer,
      color: !process.env.NO_COLOR,
    }));
  });
  return cmd;
}

/** A command that only groups others (`wharf token credential`). */
export function commandGroup(parent: Command, name: string, description: string, examples: readonly string[]): Command {
  return parent.command(name).description(description).addHelpText('after', examplesText(examples));
}

function examplesText(examples: readonly string[]): string {
  return `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`;
}
