import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { ApiClient, oneLine } from '../api-client.ts';
import { findRegistry, readCliConfig, writeCliConfig, type StoredRegistry } from '../cli-config.ts';
import { CliError } from '../cli-error.ts';
import { NULL_GUID, removeDockerCredential, storeDockerCredential } from '../docker-config.ts';
import { send, type Endpoint } from '../http-client.ts';
import { OUTPUT_FORMATS, renderResult, type OutputFormat } from '../output.ts';
import { parseServer } from '../session.ts';

interface LoginOptions {
  name?: string;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  caFile?: string;
  exposeToken?: boolean;
  output: OutputFormat;
  query?: string;
}

const CLIENT_ID = 'wharf-cli';

/** `wharf login` and `wharf logout` (shared/specs/access-and-policy.md 1.5). */
export function registerLoginCommands(program: Command): void {
  program
    .command('login')
    .description('log in to a registry: keeps a refresh token for wharf and hands it to docker')
    .argument('[server]', 'login server, host[:port] (or https://host:port); default: -n, or the last one logged in')
    .option('-n, --name <registry>', 'a registry logged in before, by name or login server')
    .option('-u, --username <name>', 'user name, service principal appId, admin account or scoped token (env WHARF_USERNAME)')
    .option('-p, --password <secret>', 'the password or secret (env WHARF_PASSWORD)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--ca-file <file>', 'PEM CA to trust for the registry (Wharf generates one: <data>/tls/ca.crt); kept for later commands')
    .option('--expose-token', 'print the refresh token as JSON instead of writing it into docker\'s config')
    .addOption(new Option('-o, --output <format>', 'output format of --expose-token').choices(OUTPUT_FORMATS).default('json'))
    .option('--query <jmespath>', 'JMESPath query applied to the --expose-token output')
    .addHelpText('after', `
A user or service principal gets a refresh token (3 h by default), which wharf keeps in
$WHARF_CONFIG_DIR/config.json (default ~/.wharf) and writes into docker's config under the user
name 00000000-0000-0000-0000-000000000000: docker then pulls and pushes with it. The admin account
and scoped tokens get no refresh token: docker keeps their password, as docker login would.

Examples:
  wharf login registry.example.com:5443 -u alice --password-stdin < alice.pass
  wharf login 127.0.0.1:5443 -u owner -p "$OWNER_PASSWORD" --ca-file data/tls/ca.crt
  wharf login registry.example.com -u "$SP_APP_ID" -p "$SP_SECRET" --expose-token --query accessToken -o tsv
  wharf login -n wharf -u alice -p "$PASSWORD"
`)
    .action((server: string | undefined, opts: LoginOptions) => login(server, opts));

  program
    .command('logout')
    .description("forget a registry's login, in wharf's config and in docker's")
    .argument('[server]', 'login server; default: -n, or the last one logged in')
    .option('-n, --name <registry>', 'registry name or login server')
    .addHelpText('after', '\nExamples:\n  wharf logout\n  wharf logout registry.example.com:5443\n')
    .action((server: string | undefined, opts: { name?: string }) => logout(server ?? opts.name));
}

async function login(server: string | undefined, opts: LoginOptions): Promise<void> {
  const config = readCliConfig();
  const target = server ?? opts.name;
  const known = findRegistry(config, target);
  if (target === undefined && known === undefined) throw new CliError('usage', 'name the registry to log in to: wharf login <host:port>');
  if (server === undefined && known === undefined && !/[.:]/.test(target!)) {
    throw new CliError('usage', `no registry named '${target}' was logged in to before: give its login server, wharf login <host:port>`);
  }
  const { url, loginServer } = known && server === undefined ? known : parseServer(target!);
  const caFile = opts.caFile === undefined ? known?.caFile : resolve(opts.caFile);
  const endpoint: Endpoint = { url, caFile };
  const { username, password } = await credentialsOf(opts);

  const challenge = await bearerChallenge(endpoint, loginServer);
  const tokens = await passwordGrant(endpoint, challenge, username, password);
  const stored: StoredRegistry = {
    loginServer, url, username, loggedInAt: new Date().toISOString(),
    ...(caFile === undefined ? {} : { caFile }),
    ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
  };
  if (tokens.refreshToken === undefined && opts.exposeToken) {
    throw new CliError('usage', `--expose-token needs a user or service principal: '${username}' (the admin account or a scoped token) gets no refresh token`);
  }
  const name = tokens.refreshToken === undefined ? known?.name : await registryName(endpoint, loginServer, tokens.refreshToken);
  config.registries[loginServer] = { ...stored, ...(name === undefined ? {} : { name }) };
  config.current = loginServer;
  writeCliConfig(config);

  if (opts.exposeToken) {
    process.stderr.write('WARNING: this is a refresh token: it acts as your password until it expires. Use it as the password of user 00000000-0000-0000-0000-000000000000.\n');
    const exposed = { accessToken: tokens.refreshToken, loginServer, refreshToken: tokens.refreshToken, username: NULL_GUID };
    process.stdout.write(renderResult(exposed, { format: opts.output, query: opts.query, color: !process.env.NO_COLOR }));
    return;
  }
  storeDockerCredential(loginServer, tokens.refreshToken === undefined ? { kind: 'basic', username, password } : { kind: 'identityToken', token: tokens.refreshToken });
  process.stdout.write('Login Succeeded\n');
}

function logout(target: string | undefined): void {
  const config = readCliConfig();
  const known = findRegistry(config, target);
  const loginServer = known?.loginServer ?? (target === undefined ? undefined : parseServer(target).loginServer);
  if (loginServer === undefined) throw new CliError('usage', 'not logged in to any registry');
  if (known) {
    delete config.registries[loginServer];
    if (config.current === loginServer) config.current = Object.keys(config.registries).at(-1);
    writeCliConfig(config);
  }
  removeDockerCredential(loginServer);
}

async function credentialsOf(opts: LoginOptions): Promise<{ username: string; password: string }> {
  const username = opts.username ?? (process.env.WHARF_USERNAME || undefined);
  if (opts.passwordStdin && opts.password !== undefined) throw new CliError('usage', '--password and --password-stdin are exclusive');
  const password = opts.passwordStdin ? await readStdinPassword() : (opts.password ?? (process.env.WHARF_PASSWORD || undefined));
  if (username === undefined) throw new CliError('usage', 'give a user name: -u/--username or WHARF_USERNAME');
  if (password === undefined || password === '') throw new CliError('usage', 'give a password: -p/--password, --password-stdin or WHARF_PASSWORD');
  return { username, password };
}

/** All of stdin less one trailing line break, as `docker login --password-stdin` reads it. */
async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

interface Challenge {
  readonly realm: URL;
  readonly service: string;
}

/** Step 1 of spec 1.5: the registry must answer `GET /v2/` with a Bearer challenge naming its token endpoint. */
async function bearerChallenge(endpoint: Endpoint, loginServer: string): Promise<Challenge> {
  const res = await send(endpoint, '/v2/', { method: 'GET' });
  if (res.status === 200) throw new CliError('server', `${loginServer} does not ask for credentials (auth is not enabled there): nothing to log in to`);
  const header = res.headers['www-authenticate'];
  const params = res.status === 401 && typeof header === 'string' && /^bearer\s/i.test(header) ? challengeParams(header) : undefined;
  const realm = params?.get('realm');
  if (!realm) throw new CliError('server', `${loginServer} answered GET /v2/ with ${res.status} and no Bearer challenge: is it a registry?`);
  return { realm: new URL(realm), service: params!.get('service') ?? loginServer };
}

function challengeParams(header: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const m of header.slice(header.indexOf(' ') + 1).matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!.replace(/\\(.)/g, '$1'));
  return params;
}

/** Step 2: the OAuth2 password grant asking for a refresh token (spec 1.3); only users and service principals get one. */
async function passwordGrant(endpoint: Endpoint, challenge: Challenge, username: string, password: string): Promise<{ refreshToken?: string }> {
  const form = new URLSearchParams({ grant_type: 'password', username, password, service: challenge.service, access_type: 'offline', client_id: CLIENT_ID });
  const res = await send({ url: challenge.realm.origin, caFile: endpoint.caFile }, challenge.realm.pathname + challenge.realm.search, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const body = parseJson(res.body);
  if (res.status === 401) throw new CliError('auth', `${challenge.service} refused the user name or password`);
  if (res.status !== 200) throw new CliError('server', oneLine(`the token endpoint answered ${res.status}: ${tokenErrorMessage(body) ?? res.body.toString('utf8').slice(0, 200)}`));
  const refresh = (body as { refresh_token?: unknown } | undefined)?.refresh_token;
  return typeof refresh === 'string' ? { refreshToken: refresh } : {};
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function tokenErrorMessage(body: unknown): string | undefined {
  const b = body as { error_description?: unknown; errors?: { message?: unknown }[] } | undefined;
  if (typeof b?.error_description === 'string') return b.error_description;
  const first = b?.errors?.[0]?.message;
  return typeof first === 'string' ? first : undefined;
}

/** The registry's name, so that -n can name it later; a registry without the management API has none to tell. */
async function registryName(endpoint: Endpoint, loginServer: string, refreshToken: string): Promise<string | undefined> {
  try {
    const registry = await new ApiClient(endpoint, loginServer, { scheme: 'bearer', token: refreshToken }).call('GET', '/registry');
    const name = (registry as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? name : undefined;
  } catch (err) {
    if (err instanceof CliError) return undefined;
    throw err;
  }
}
