import { Command, CommanderError } from 'commander';
import { CliError, EXIT_CODES } from './cli-error.ts';
import { registerClientCommands } from './commands/client-commands.ts';
import { registerCompletionCommand } from './commands/completion.ts';
import { runWithConfig, withServerOptions } from './server-options.ts';

// The server stack is imported inside the server commands' actions, so that client commands
// (bin/wharf.mjs builds lazily loaded chunks) start without loading it.

const program = new Command('wharf').description('Wharf: an OCI registry with content trust built in');
// Usage errors end with EXIT_CODES.usage instead of commander's process.exit(1) (docs/cli.md).
program.exitOverride();
program.configureOutput({ outputError: (message, write) => write(`wharf: ${message.replace(/^error: /, '')}`) });

withServerOptions(program.command('serve').description('start the registry'))
  .addHelpText('after', '\nExamples:\n  wharf serve\n  wharf serve --listen 0.0.0.0:5443 --data /var/lib/wharf\n  wharf serve --metadata postgres://wharf@db/wharf')
  .action((_opts, cmd: Command) => runWithConfig(cmd, async (config) => (await import('../main.ts')).serve(config)));

withServerOptions(program.command('check-config').description('validate the configuration and print it'))
  .action((_opts, cmd: Command) =>
    runWithConfig(cmd, async (config) => {
      const { redactedConfig } = await import('../config/load.ts');
      process.stdout.write(`configuration is valid\n${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    }),
  );

withServerOptions(program.command('gc').description('remove unreferenced blobs, orphaned referrers and stale uploads'))
  .option('--dry-run', 'only report what would be removed')
  .addHelpText('after', '\nExamples:\n  wharf gc --dry-run\n  wharf gc --data /var/lib/wharf')
  .action((opts: { dryRun?: boolean }, cmd: Command) => runWithConfig(cmd, async (config) => (await import('./gc-command.ts')).runGc(config, opts.dryRun === true)));

registerClientCommands(program);
// Last: the completion script covers every command registered before it.
registerCompletionCommand(program);

await program.parseAsync(process.argv).catch((err: unknown) => {
  // commander has printed its own message (or the help) already.
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_CODES.usage;
    return;
  }
  process.stderr.write(`wharf: ${(err as Error).message}\n`);
  process.exitCode = err instanceof CliError ? err.exitCode : 1;
});
