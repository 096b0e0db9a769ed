import { Command } from 'commander';
import { redactedConfig } from '../config/load.ts';
import { serve } from '../main.ts';
import { runGc } from './gc-command.ts';
import { runWithConfig, withServerOptions } from './server-options.ts';

const program = new Command('wharf').description('Wharf: an OCI registry with content trust built in');

withServerOptions(program.command('serve').description('start the registry'))
  .addHelpText('after', '\nExamples:\n  wharf serve\n  wharf serve --listen 0.0.0.0:5443 --data /var/lib/wharf\n  wharf serve --metadata postgres://wharf@db/wharf')
  .action((_opts, cmd: Command) => runWithConfig(cmd, serve));

withServerOptions(program.command('check-config').description('validate the configuration and print it'))
  .action((_opts, cmd: Command) =>
    runWithConfig(cmd, async (config) => {
      process.stdout.write(`configuration is valid\n${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    }),
  );

withServerOptions(program.command('gc').description('remove unreferenced blobs, orphaned referrers and stale uploads'))
  .option('--dry-run', 'only report what would be removed')
  .addHelpText('after', '\nExamples:\n  wharf gc --dry-run\n  wharf gc --data /var/lib/wharf')
  .action((opts: { dryRun?: boolean }, cmd: Command) => runWithConfig(cmd, (config) => runGc(config, opts.dryRun === true)));

await program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`wharf: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
