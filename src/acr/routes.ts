import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessGate, ScopeAction } from '../auth/access-gate.ts';
import { ociErrorBody, toWharfError } from '../errors/render.ts';
import { WharfError } from '../errors/wharf-error.ts';
import { attributesUpdated, manifestDeleted, repositoryDeleted } from '../events/oci-events.ts';
import type { EventRecorder } from '../events/recorder.ts';
import { parseDigest } from '../oci/digest.ts';
import { isRepoName, isTag, parseRepoName, type RepoName, type Tag } from '../oci/names.ts';
import { decodePath } from '../oci/router.ts';
import { nextLink, pageOf } from '../oci/routes/pagination.ts';
import type { AttributeTarget, ChangeableAttributes, DetailPage } from '../storage/metadata-store.ts';
import type { AcrService } from './acr-service.ts';
import { manifestJson, repositoryJson, tagJson } from './shapes.ts';

export interface AcrRouteDeps {
  service: AcrService;
  access: AccessGate;
  /** The registry's login server as the request names it (the `registry` field). */
  loginServer: (req: FastifyRequest) => string;
  /** Largest page. */
  pageSize: number;
  /** Audit log and webhooks: repository deletes and untags. */
  events?: EventRecorder;
}

/** ACR's page size when `n` is not given. */
const DEFAULT_PAGE = 100;
const BODY_LIMIT = 64 * 1024;
const ATTRIBUTE_NAMES: readonly (keyof ChangeableAttributes)[] = ['deleteEnabled', 'writeEnabled', 'readEnabled', 'listEnabled'];

type Route =
  | { kind: 'catalog' }
  | { kind: 'repository'; repo: RepoName }
  | { kind: 'tags'; repo: RepoName }
  | { kind: 'tag'; repo: RepoName; tag: Tag }
  | { kind: 'manifests'; repo: RepoName }
  | { kind: 'manifest'; repo: RepoName; digest: ReturnType<typeof parseDigest> };

/**
 * ACR's data-plane metadata API under /acr/v1 (spec 4): its paths, query parameters, JSON and
 * errors (the /v2 error format), authorized by the same gate as /v2 with the token actions
 * metadataRead, metadataWrite and delete.
 */
export async function acrRoutes(app: FastifyInstance, opts: { deps: AcrRouteDeps }): Promise<void> {
  const { deps } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, req, reply) => {
    const error = toWharfError(err);
    if (error.status >= 500) req.log.error({ err }, 'request failed');
    if (error.challenge) reply.header('www-authenticate', error.challenge);
    reply.code(error.status);
    if (req.method === 'HEAD') return reply.send();
    return reply.header('content-type', 'application/json').send(`${JSON.stringify(ociErrorBody(error))}\n`);
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const url = req.raw.url ?? '';
    const queryAt = url.indexOf('?');
    const route = routeOf((queryAt === -1 ? url : url.slice(0, queryAt)).replace(/^\/acr\/v1\/?/, ''));
    const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    const handler = HANDLERS[route.kind][req.method];
    if (!handler) throw new WharfError('UNSUPPORTED', `${req.method} is not supported here`);
    await handler({ req, reply, route, query, deps });
  };
  app.route({ method: ['GET', 'PATCH', 'DELETE'], url: '/acr/v1/*', handler: handle });
}

interface Ctx {
  req: FastifyRequest;
  reply: FastifyReply;
  route: Route;
  query: URLSearchParams;
  deps: AcrRouteDeps;
}

type Handler = (ctx: Ctx) => Promise<void>;

function routeOf(encoded: string): Route {
  const path = decodePath(encoded);
  if (path === '_catalog') return { kind: 'catalog' };
  let m = /^(.+)\/_tags\/([^/]+)$/.exec(path);
  if (m) return { kind: 'tag', repo: parseRepoName(m[1]!), tag: tagOf(m[2]!) };
  m = /^(.+)\/_tags$/.exec(path);
  if (m) return { kind: 'tags', repo: parseRepoName(m[1]!) };
  m = /^(.+)\/_manifests\/([^/]+)$/.exec(path);
  if (m) return { kind: 'manifest', repo: parseRepoName(m[1]!), digest: parseDigest(m[2]!) };
  m = /^(.+)\/_manifests$/.exec(path);
  if (m) return { kind: 'manifests', repo: parseRepoName(m[1]!) };
  if (path === '' || path.includes('/_')) throw new WharfError('NOT_FOUND', 'no such endpoint');
  return { kind: 'repository', repo: parseRepoName(path) };
}

function tagOf(value: string): Tag {
  if (!isTag(value)) throw new WharfError('TAG_INVALID', `invalid tag: ${value.slice(0, 200)}`);
  return value;
}

async function authorize(ctx: Ctx, repo: RepoName, action: ScopeAction): Promise<void> {
  await ctx.deps.access.require(ctx.req, [{ type: 'repository', name: repo, actions: [action] }]);
}

/**
 * n/last as /v2 reads them (n capped, 100 without it) plus ACR's `orderby=timedesc|timeasc`; lists
 * leave out what listEnabled hides (a direct GET still shows it).
 */
function detailPage(ctx: Ctx, isValidLast: (last: string) => boolean): DetailPage {
  const page = pageOf(ctx.query, ctx.deps.pageSize, isValidLast);
  const limit = page.limit === Number.MAX_SAFE_INTEGER ? Math.min(DEFAULT_PAGE, ctx.deps.pageSize) : page.limit;
  const orderby = ctx.query.get('orderby');
  if (orderby !== null && orderby !== 'timedesc' && orderby !== 'timeasc') {
    throw new WharfError('UNSUPPORTED', 'orderby must be timedesc or timeasc');
  }
  const order = orderby === 'timedesc' ? 'timeDesc' : orderby === 'timeasc' ? 'timeAsc' : 'name';
  return { ...(page.last !== undefined && { last: page.last }), limit, order, listedOnly: true };
}

function link(ctx: Ctx, path: string, page: DetailPage, names: readonly string[]): void {
  // Only name order pages with `last`; a time-ordered list is one page.
  const next = page.order === 'name' ? nextLink(path, page, names) : undefined;
  if (next) ctx.reply.header('link', next);
}

function sendJson(reply: FastifyReply, value: unknown, status = 200): void {
  void reply.code(status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(value)));
}

/** A PATCH body: ACR's changeable attributes, each a boolean; anything else is refused. */
function attributeChange(body: unknown): Partial<ChangeableAttributes> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : '');
  } catch {
    throw new WharfError('INVALID_REQUEST', 'the body must be a JSON object of changeable attributes');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WharfError('INVALID_REQUEST', 'the body must be a JSON object of changeable attributes');
  }
  const change: Partial<ChangeableAttributes> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(ATTRIBUTE_NAMES as readonly string[]).includes(key) || typeof value !== 'boolean') {
      throw new WharfError('INVALID_REQUEST', `unknown attribute or not a boolean: ${key.slice(0, 100)}; expected ${ATTRIBUTE_NAMES.join(', ')}`);
    }
    change[key as keyof ChangeableAttributes] = value;
  }
  return change;
}

// GET answers; a PATCH answers the same after its change (authorized for metadataWrite only).
const sendRepository: Handler = async (ctx) => {
  const { repo } = ctx.route as Extract<Route, { kind: 'repository' }>;
  sendJson(ctx.reply, repositoryJson(ctx.deps.loginServer(ctx.req), await ctx.deps.service.repository(repo)));
};

const sendTag: Handler = async (ctx) => {
  const { repo, tag } = ctx.route as Extract<Route, { kind: 'tag' }>;
  sendJson(ctx.reply, { registry: ctx.deps.loginServer(ctx.req), imageName: repo, tag: tagJson(await ctx.deps.service.tag(repo, tag)) });
};

const sendManifest: Handler = async (ctx) => {
  const { repo, digest } = ctx.route as Extract<Route, { kind: 'manifest' }>;
  const manifest = manifestJson(await ctx.deps.service.manifest(repo, digest));
  sendJson(ctx.reply, { registry: ctx.deps.loginServer(ctx.req), imageName: repo, manifest });
};

const readOnly = (send: Handler): Handler => async (ctx) => {
  await authorize(ctx, (ctx.route as { repo: RepoName }).repo, 'metadataRead');
  await send(ctx);
};

/**
 * PATCH of a repository, tag or manifest (whose routes are their attribute targets): sets the
 * attributes, records the change and answers as GET does.
 */
const patchAttributes = (send: Handler): Handler => async (ctx) => {
  const target = ctx.route as AttributeTarget;
  await authorize(ctx, target.repo, 'metadataWrite');
  const change = attributeChange(ctx.req.body);
  await ctx.deps.service.update(target, change);
  ctx.deps.events?.record(attributesUpdated(ctx.req, target, change));
  await send(ctx);
};

const HANDLERS: Record<Route['kind'], Partial<Record<string, Handler>>> = {
  catalog: {
    GET: async (ctx) => {
      await ctx.deps.access.require(ctx.req, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
      const page = detailPage(ctx, isRepoName);
      const repositories = await ctx.deps.service.catalog(page);
      link(ctx, '/acr/v1/_catalog', page, repositories);
      sendJson(ctx.reply, { repositories });
    },
  },
  repository: {
    GET: readOnly(sendRepository),
    PATCH: patchAttributes(sendRepository),
    DELETE: async (ctx) => {
      const { repo } = ctx.route as Extract<Route, { kind: 'repository' }>;
      await authorize(ctx, repo, 'delete');
      const deleted = await ctx.deps.service.deleteRepository(repo);
      ctx.deps.events?.record(repositoryDeleted(ctx.req, repo, deleted));
      sendJson(ctx.reply, deleted, 202);
    },
  },
  tags: {
    GET: async (ctx) => {
      const { repo } = ctx.route as Extract<Route, { kind: 'tags' }>;
      await authorize(ctx, repo, 'metadataRead');
      const page = detailPage(ctx, isTag);
      const tags = await ctx.deps.service.tags(repo, page);
      link(ctx, `/acr/v1/${repo}/_tags`, page, tags.map((t) => t.name));
      sendJson(ctx.reply, { registry: ctx.deps.loginServer(ctx.req), imageName: repo, tags: tags.map(tagJson) });
    },
  },
  tag: {
    GET: readOnly(sendTag),
    PATCH: patchAttributes(sendTag),
    DELETE: async (ctx) => {
      const { repo, tag } = ctx.route as Extract<Route, { kind: 'tag' }>;
      await authorize(ctx, repo, 'metadataWrite');
      await ctx.deps.service.untag(repo, tag);
      ctx.deps.events?.record(manifestDeleted(ctx.req, repo, { kind: 'tag', tag }));
      void ctx.reply.code(202).header('content-length', 0).send();
    },
  },
  manifests: {
    GET: async (ctx) => {
      const { repo } = ctx.route as Extract<Route, { kind: 'manifests' }>;
      await authorize(ctx, repo, 'metadataRead');
      const page = detailPage(ctx, (last) => /^[a-z0-9]+:[a-f0-9]+$/.test(last));
      const manifests = await ctx.deps.service.manifests(repo, page);
      link(ctx, `/acr/v1/${repo}/_manifests`, page, manifests.map((m) => m.digest));
      sendJson(ctx.reply, { registry: ctx.deps.loginServer(ctx.req), imageName: repo, manifests: manifests.map(manifestJson) });
    },
  },
  manifest: {
    GET: readOnly(sendManifest),
    PATCH: patchAttributes(sendManifest),
  },
};
