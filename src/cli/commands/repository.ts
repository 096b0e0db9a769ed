import { Option, type Command } from 'commander';
import { parseBool, parsePositiveInt } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup, type ClientContext } from '../client-command.ts';
import { RegistryClient } from '../registry-client.ts';

interface ImageOptions {
  repository?: string;
  image?: string;
}

interface ListOptions {
  detail?: boolean;
  orderby?: 'time_asc' | 'time_desc';
  top?: number;
}

/** `repo:tag` or `repo@sha256:…` (az's --image); a bare repository means its `latest` tag. */
type Image = { repo: string; tag: string } | { repo: string; digest: string };

function parseImage(value: string): Image {
  const at = value.indexOf('@');
  if (at > 0) return { repo: value.slice(0, at), digest: value.slice(at + 1) };
  const colon = value.lastIndexOf(':');
  if (colon > value.lastIndexOf('/')) return { repo: value.slice(0, colon), tag: value.slice(colon + 1) };
  return { repo: value, tag: 'latest' };
}

/** Exactly one of --repository and --image. */
function targetOf(opts: ImageOptions): { repo: string } | Image {
  if ((opts.repository === undefined) === (opts.image === undefined)) throw new CliError('usage', 'give either --repository or --image');
  return opts.image !== undefined ? parseImage(opts.image) : { repo: opts.repository! };
}

/** The /acr/v1 path of a repository, tag or manifest (each name segment encoded). */
function pathOf(target: { repo: string } | Image): string {
  const repo = target.repo.split('/').map(encodeURIComponent).join('/');
  if ('tag' in target) return `/acr/v1/${repo}/_tags/${encodeURIComponent(target.tag)}`;
  if ('digest' in target) return `/acr/v1/${repo}/_manifests/${encodeURIComponent(target.digest)}`;
  return `/acr/v1/${repo}`;
}

function listQuery(opts: ListOptions): string {
  const orderby = opts.orderby === 'time_asc' ? 'timeasc' : opts.orderby === 'time_desc' ? 'timedesc' : undefined;
  // A time-ordered list is one page: ask for enough at once.
  const params = new URLSearchParams({ ...(orderby && { orderby, n: String(opts.top ?? 1000) }), ...(!orderby && opts.top !== undefined && { n: String(Math.min(opts.top, 1000)) }) });
  const query = params.toString();
  return query === '' ? '' : `?${query}`;
}

const listOptions = (cmd: Command) => cmd
  .addOption(new Option('--orderby <order>', 'order by time of the last update').choices(['time_asc', 'time_desc']))
  .option('--top <n>', 'at most this many', parsePositiveInt);

const client = (ctx: ClientContext<object>) => new RegistryClient(ctx.api());

/** The answer's single object: the tag or manifest under its key (az prints the object itself). */
function unwrap(json: unknown): unknown {
  const body = json as Record<string, unknown>;
  return body.tag ?? body.manifest ?? body;
}

/**
 * The automatic table (a column per scalar) plus the signers of a tag, comma-joined, which as a
 * list it would leave out; anything else (names, repositories, manifests) as it is.
 */
function tagTable(result: unknown): unknown {
  if (!Array.isArray(result)) return tagTable([result]);
  return result.map((t: unknown) => {
    const tag = t as { signers?: unknown };
    return typeof t === 'object' && t !== null && Array.isArray(tag.signers) ? { ...tag, signers: tag.signers.join(', ') } : t;
  });
}

/**
 * `wharf repository list|show|show-tags|show-manifests|update|untag|delete` (az acr repository) and
 * `wharf manifest list-metadata` (az acr manifest), over ACR's /acr/v1 metadata API.
 */
export function registerRepositoryCommands(program: Command): void {
  const repository = program.commands.find((c) => c.name() === 'repository') ?? commandGroup(program, 'repository', 'repositories, their tags and manifests, and their locks', [
    'wharf repository list',
    'wharf repository show-tags --repository team/app --detail',
    'wharf repository update --image team/app:v1 --write-enabled false',
  ]);
  const registryFlag = 'name' as const;

  clientCommand<{ top?: number }>(repository, {
    name: 'list',
    description: 'list the repositories',
    registryFlag,
    examples: ['wharf repository list', 'wharf repository list --top 10 -o tsv'],
    configure: (cmd) => cmd.option('--top <n>', 'at most this many', parsePositiveInt),
    run: (ctx) => client(ctx).list<string>(`/acr/v1/_catalog${ctx.opts.top === undefined ? '' : `?n=${Math.min(ctx.opts.top, 1000)}`}`, 'repositories', ctx.opts.top),
  });

  clientCommand<ImageOptions>(repository, {
    name: 'show',
    description: 'show a repository (counts, size, last update, signed tags, attributes), or with --image a tag (with its signers) or manifest',
    registryFlag,
    tableTransformer: tagTable,
    examples: ['wharf repository show --repository team/app', 'wharf repository show --image team/app:v1', 'wharf repository show --repository team/app --query sizeBytes -o tsv'],
    configure: (cmd) => cmd.option('--repository <repo>', 'the repository').option('--image <image>', 'repo:tag or repo@digest'),
    run: async (ctx) => unwrap((await client(ctx).call('GET', pathOf(targetOf(ctx.opts)))).json),
  });

  clientCommand<ListOptions & { repository: string }>(repository, {
    name: 'show-tags',
    description: 'list the tags of a repository; --detail shows digests, times, signed status, signers and attributes',
    registryFlag,
    tableTransformer: tagTable,
    examples: ['wharf repository show-tags --repository team/app', 'wharf repository show-tags --repository team/app --detail --orderby time_desc --top 5', "wharf repository show-tags --repository team/app --detail --query \"[?signed].name\" -o tsv"],
    configure: (cmd) => listOptions(cmd.requiredOption('--repository <repo>', 'the repository').option('--detail', 'tag objects instead of names')),
    run: async (ctx) => {
      const tags = await client(ctx).list<{ name: string }>(`${pathOf({ repo: ctx.opts.repository })}/_tags${listQuery(ctx.opts)}`, 'tags', ctx.opts.top);
      return ctx.opts.detail ? tags : tags.map((t) => t.name);
    },
  });

  clientCommand<ListOptions & { repository: string }>(repository, {
    name: 'show-manifests',
    description: 'list the manifests of a repository: digest, tags and time; --detail shows sizes, media types and attributes',
    registryFlag,
    examples: ['wharf repository show-manifests --repository team/app', 'wharf repository show-manifests --repository team/app --detail --orderby time_desc'],
    configure: (cmd) => listOptions(cmd.requiredOption('--repository <repo>', 'the repository').option('--detail', 'full manifest objects')),
    run: async (ctx) => {
      const manifests = await client(ctx).list<{ digest: string; tags: string[]; lastUpdateTime: string }>(
        `${pathOf({ repo: ctx.opts.repository })}/_manifests${listQuery(ctx.opts)}`, 'manifests', ctx.opts.top);
      return ctx.opts.detail ? manifests : manifests.map((m) => ({ digest: m.digest, tags: m.tags, timestamp: m.lastUpdateTime }));
    },
  });

  clientCommand<ImageOptions & { writeEnabled?: boolean; deleteEnabled?: boolean; readEnabled?: boolean; listEnabled?: boolean }>(repository, {
    name: 'update',
    description: 'lock or unlock a repository, tag or manifest: --write-enabled false refuses pushes onto it, --delete-enabled false its deletion, --read-enabled false pulls of it, --list-enabled false hides it from lists',
    registryFlag,
    examples: [
      'wharf repository update --repository team/app --write-enabled false',
      'wharf repository update --image team/app:v1 --delete-enabled false --write-enabled false',
      'wharf repository update --image team/app@sha256:4ef7... --delete-enabled true',
      'wharf repository update --image team/app:v1 --read-enabled false',
    ],
    configure: (cmd) => cmd
      .option('--repository <repo>', 'the repository').option('--image <image>', 'repo:tag or repo@digest')
      .option('--write-enabled <bool>', 'allow pushes (tag moves, uploads, trust publishes)', parseBool)
      .option('--delete-enabled <bool>', 'allow deletion', parseBool)
      .option('--read-enabled <bool>', 'allow pulls (manifest GET/HEAD; on a repository also its blobs and mounts from it)', parseBool)
      .option('--list-enabled <bool>', 'show it in lists (tags/list, _catalog, show-tags, show-manifests, repository list)', parseBool),
    run: async (ctx) => {
      const { writeEnabled, deleteEnabled, readEnabled, listEnabled } = ctx.opts;
      const change = Object.fromEntries(Object.entries({ writeEnabled, deleteEnabled, readEnabled, listEnabled }).filter(([, v]) => v !== undefined));
      if (Object.keys(change).length === 0) throw new CliError('usage', 'give at least one of --write-enabled, --delete-enabled, --read-enabled, --list-enabled');
      return unwrap((await client(ctx).call('PATCH', pathOf(targetOf(ctx.opts)), change)).json);
    },
  });

  clientCommand<{ image: string }>(repository, {
    name: 'untag',
    description: 'remove a tag; the manifest stays',
    registryFlag,
    examples: ['wharf repository untag --image team/app:old'],
    configure: (cmd) => cmd.requiredOption('--image <image>', 'repo:tag'),
    run: async (ctx) => {
      const image = parseImage(ctx.opts.image);
      if (!('tag' in image)) throw new CliError('usage', '--image must name a tag (repo:tag)');
      await client(ctx).call('DELETE', pathOf(image));
      return undefined;
    },
  });

  clientCommand<ImageOptions & { yes?: boolean }>(repository, {
    name: 'delete',
    description: 'delete a repository with all its images and trust data, or with --image a manifest and every tag pointing at it',
    registryFlag,
    examples: ['wharf repository delete --repository team/old --yes', 'wharf repository delete --image team/app:v1 --yes'],
    configure: (cmd) => cmd.option('--repository <repo>', 'the repository').option('--image <image>', 'repo:tag or repo@digest').option('-y, --yes', 'accepted as az does; never prompts'),
    run: async (ctx) => {
      const target = targetOf(ctx.opts);
      const registry = client(ctx);
      if (!('tag' in target) && !('digest' in target)) {
        await registry.call('DELETE', pathOf(target));
        return undefined;
      }
      // As az: an image by tag deletes the manifest the tag points at, with all of its tags.
      const digest = 'digest' in target ? target.digest : ((unwrap((await registry.call('GET', pathOf(target))).json) as { digest: string }).digest);
      const repo = target.repo.split('/').map(encodeURIComponent).join('/');
      await registry.call('DELETE', `/v2/${repo}/manifests/${encodeURIComponent(digest)}`);
      return undefined;
    },
  });

  const manifest = program.commands.find((c) => c.name() === 'manifest') ?? commandGroup(program, 'manifest', 'manifests', ['wharf manifest list-metadata -n team/app']);
  clientCommand<ListOptions & { name: string }>(manifest, {
    name: 'list-metadata',
    description: 'the manifests of a repository with their size, media type, tags and attributes',
    registryFlag: 'registry',
    examples: ['wharf manifest list-metadata -n team/app', 'wharf manifest list-metadata -r myreg -n team/app --orderby time_desc --top 3'],
    configure: (cmd) => listOptions(cmd.requiredOption('-n, --name <repo>', 'the repository')),
    run: (ctx) => client(ctx).list(`${pathOf({ repo: ctx.opts.name })}/_manifests${listQuery(ctx.opts)}`, 'manifests', ctx.opts.top),
  });
}
