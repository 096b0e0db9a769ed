import type { Command } from 'commander';
import type { ApiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand } from '../client-command.ts';

interface ImportOptions {
  source: string;
  image?: string[];
  repository?: string[];
  username?: string;
  password?: string;
  force?: boolean;
  wait: boolean;
  includeReferrers?: boolean;
}

interface Operation {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  source: string;
  progress: { manifests: number; blobsCopied: number; blobsSkipped: number; bytesCopied: number };
}

const POLL_MS = 500;
const TRUST_NOTE = 'note: Docker Content Trust data is not imported (it is bound to the source name); the imported tags are unsigned\n';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `wharf import` (az acr import): the registry copies the image itself (POST
 * /api/registry/importImage); the CLI waits for the operation, showing progress on stderr, and
 * prints nothing on success, or with --no-wait prints the operation. `wharf operation show` polls it.
 */
export function registerImportCommands(program: Command): void {
  clientCommand<ImportOptions>(program, {
    name: 'import',
    description: 'import an image from another registry into this one (server-side copy)',
    registryFlag: 'name',
    // -u/-p are the source's credentials here, as in az acr import; the target login comes from wharf login or WHARF_USERNAME/WHARF_PASSWORD.
    credentialFlags: false,
    examples: [
      'wharf import --source docker.io/library/alpine:3.20 --image base/alpine:3.20',
      'wharf import --source registry.example.com:5443/team/app:1 -u ci -p "$TOKEN" --include-referrers',
      'wharf import --source registry.example.com/team/app@sha256:<hex> --repository mirror/app',
      'wharf import --source registry.example.com/team/app:1 --force --no-wait --query id -o tsv',
    ],
    configure: (cmd) => cmd
      .requiredOption('--source <ref>', 'fully qualified source image: host[:port]/repo:tag or host/repo@sha256:…')
      .option('-t, --image <repo:tag>', 'target repo:tag; repeatable (default: the source repo:tag)', collect)
      .option('--repository <repo>', 'import untagged into this repository; repeatable', collect)
      .option('-u, --username <name>', 'user name for the source registry')
      .option('-p, --password <secret>', 'password or token for the source registry (without -u: a refresh token)')
      .option('--force', 'move target tags that already exist')
      .option('--no-wait', 'return the operation at once instead of waiting for it')
      .option('--include-referrers', 'also copy signatures, SBOMs and other referrers (untagged)'),
    run: async ({ api, opts }) => {
      if (opts.username !== undefined && opts.password === undefined) throw new CliError('usage', '-u/--username needs -p/--password');
      const body = {
        source: {
          ...splitSource(opts.source),
          ...(opts.password !== undefined && { credentials: { ...(opts.username !== undefined && { username: opts.username }), password: opts.password } }),
        },
        ...(opts.image && { targetTags: opts.image }),
        ...(opts.repository && { untaggedTargetRepositories: opts.repository }),
        mode: opts.force ? 'Force' : 'NoForce',
        ...(opts.includeReferrers && { includeReferrers: true }),
      };
      const started = (await api().call('POST', '/registry/importImage', body)) as Operation;
      process.stderr.write(TRUST_NOTE);
      if (!opts.wait) return started;
      await waitFor(api(), started);
      return undefined;
    },
  });

  const operation = program.command('operation').description('operations the registry runs in the background (imports)');
  clientCommand<{ id: string }>(operation, {
    name: 'show',
    description: 'show an operation you started: status InProgress, Succeeded or Failed, with progress',
    registryFlag: 'name',
    examples: ['wharf operation show --id <id>', 'wharf operation show --id <id> --query status -o tsv'],
    configure: (cmd) => cmd.requiredOption('--id <id>', 'the operation id wharf import --no-wait printed'),
    run: ({ api, opts }) => api().call('GET', `/operations/${encodeURIComponent(opts.id)}`),
  });
}

/** `host[:port]/repo:tag` → registryUri and sourceImage; an unqualified source is refused (spec 6). */
function splitSource(source: string): { registryUri: string; sourceImage: string } {
  const slash = source.indexOf('/');
  const first = slash < 0 ? '' : source.slice(0, slash);
  if (!(first.includes('.') || first.includes(':') || first === 'localhost')) {
    throw new CliError('usage', `--source must name its registry (host[:port]/repo:tag, e.g. docker.io/library/alpine:3.20), got '${source}'`);
  }
  return { registryUri: first, sourceImage: source.slice(slash + 1) };
}

async function waitFor(api: ApiClient, started: Operation): Promise<void> {
  let op = started;
  let shown = '';
  while (op.status === 'InProgress') {
    await new Promise((r) => setTimeout(r, POLL_MS));
    op = (await api.call('GET', `/operations/${op.id}`)) as Operation;
    const line = progressLine(op);
    if (line !== shown) process.stderr.write(`${line}\n`);
    shown = line;
  }
  if (op.status === 'Failed') {
    throw new CliError('server', `import of ${op.source} failed: (${op.error?.code ?? 'Failed'}) ${op.error?.message ?? 'no reason given'}`);
  }
}

function progressLine(op: Operation): string {
  const p = op.progress;
  const mb = (p.bytesCopied / 1024 / 1024).toFixed(1);
  return `import ${op.source}: ${p.manifests} manifest(s), ${p.blobsCopied} blob(s) copied (${mb} MB), ${p.blobsSkipped} already present`;
}
