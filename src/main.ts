import closeWithGrace from 'close-with-grace';
import { hostname } from 'node:os';
import { AcrService } from './acr/acr-service.ts';
import { requireWritable } from './acr/locks.ts';
import { ReadListLocks } from './acr/read-list-locks.ts';
import { managementApiDeps } from './api/plugin.ts';
import { RegistrySettings } from './api/registry-settings.ts';
import { buildApp } from './app.ts';
import { OPEN_ACCESS, type AccessGate } from './auth/access-gate.ts';
import { LoginServer } from './auth/credentials.ts';
import { setupAuth, type AuthSurface } from './auth/setup.ts';
import { parseListen } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { Metrics } from './http/metrics.ts';
import { loadTls, type TlsMaterial } from './http/tls.ts';
import { createLogger } from './lib/logger.ts';
import { BlobService } from './oci/blob-service.ts';
import { ManifestCache } from './oci/manifest-cache.ts';
import { ManifestService } from './oci/manifest-service.ts';
import { UploadService } from './oci/upload-service.ts';
import type { TrustHandler } from './oci/plugin.ts';
import type { MetadataStore } from './storage/metadata-store.ts';
import { openStores } from './storage/open.ts';
import { GunPolicy } from './trust/gun.ts';
import { KeyVault } from './trust/key-vault.ts';
import { TrustReadCache } from './trust/read-cache.ts';
import { trustRoutes } from './trust/routes.ts';
import { ServerKeysService } from './trust/server-keys-service.ts';
import { TrustService } from './trust/trust-service.ts';
import { ImportService } from './import/import-service.ts';
import { loadSourceTls } from './import/source-http.ts';
import type { Logger } from 'pino';
import { ContentTrustAdmin } from './trust/content-trust-admin.ts';
import { TrustPolicyReader } from './trust/policy.ts';
import { invalidatingWrites, trustPolicyCheck } from './trust/policy-gate.ts';
import { SignedTagsCache } from './trust/signed-tags-cache.ts';
import { PolicySignedServing } from './oci/signed-serving.ts';
import { isWharfError } from './errors/wharf-error.ts';
import { setupEvents, type EventsSurface } from './events/setup.ts';

/** Opens the stores, builds the app, listens, prints how to reach it, and drains on shutdown. */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.log.level);
  const { host, port } = parseListen(config.listen)!;
  const stores = await openStores(config);
  const tls = config.tls.enabled ? await loadTls(config, host) : undefined;
  const uploads = new UploadService(stores.metadata, stores.blobs);
  const metrics = new Metrics(() => uploads.inFlight);
  const vault = await KeyVault.load(config);
  const hosts = GunPolicy.hostsFor(config.trust.hosts, { host, port }, tls?.names ?? []);
  // The registry name and primary login server: the listen host:port (or the first configured trust host).
  const login = new LoginServer(hosts[0] ?? config.listen, hosts, tls ? 'https' : 'http');
  const registry = await RegistrySettings.open(stores.metadata.settings, config);
  const auth = config.auth.enabled ? await setupAuth(config, stores.metadata, vault, login, registry, metrics) : undefined;
  const access: AccessGate = auth?.gate ?? OPEN_ACCESS;
  const events = setupEvents({ metadata: stores.metadata, vault, log: logger, source: `${login.scheme}://${login.primary}`, authEvents: auth?.endpoint.events });
  const trust = trustApi(config, stores.metadata, vault, hosts, access, registry, events);
  const manifests = new ManifestService(stores.metadata, config.limits.manifestBytes, manifestCacheFor(config));
  // readEnabled/listEnabled changed on another node sharing the database show here within a second.
  const readListLocks = new ReadListLocks(stores.metadata.attributes, { refreshMs: 1_000, log: logger });
  readListLocks.start();
  const imports = auth && (await importService(config, stores.metadata, uploads, manifests, logger, events));
  const app = await buildApp(config, {
    logger,
    metadata: stores.metadata,
    blobStore: stores.blobs,
    blobs: new BlobService(stores.metadata, stores.blobs),
    uploads,
    manifests,
    signedServing: trust.signedServing(manifests),
    readListLocks,
    access,
    metrics,
    https: tls,
    trust: trust.handler,
    acr: {
      service: new AcrService({
        metadata: stores.metadata,
        manifests,
        signedTags: (repo) => trust.signedTags.forRepo(repo),
        deleteTrustData: (repo) => trust.admin.reset(repo, true),
        attributesChanged: (target, change) => readListLocks.changed(target, change),
      }),
      loginServer: (req) => login.of(req),
    },
    events: events.recorder,
    ...(auth && {
      tokenEndpoint: auth.endpoint,
      managementApi: {
        ...managementApiDeps({ access: stores.metadata.access, vault, registry, endpoint: auth.endpoint, contentTrust: trust.admin }),
        ...(imports && { imports }),
        audit: events.api,
      },
    }),
  });
  closeWithGrace({ delay: config.shutdownGraceMs, logger }, async ({ err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    await app.close();
    readListLocks.close();
    await events.close();
    await stores.close();
  });
  await app.listen({ host, port });
  process.stdout.write(banner(config, tls) + authBanner(auth, login.primary, tls?.caFile));
}

/**
 * The Notary v1 trust API on the registry's own host (shared/specs/notary-trust-api.md) under the
 * content trust policy (access-and-policy.md 5): the gated routes, the policy's management side,
 * and the `enforced` serving rules for the OCI routes.
 */
function trustApi(config: Config, metadata: MetadataStore, vault: KeyVault, hosts: string[], access: AccessGate, registry: RegistrySettings, events: EventsSurface) {
  const cache = new TrustReadCache({ cacheLatest: isSingleNode(config), ttlMs: 5_000 });
  const service = new TrustService(metadata, new ServerKeysService(metadata, vault, config.trust.serverKeyType), cache);
  const gunPolicy = new GunPolicy(hosts);
  const policy = new TrustPolicyReader(() => registry.trustPolicyText());
  // One node sees every trust write itself; with several, another node's publish shows within a second.
  const signedTags = new SignedTagsCache(metadata.trust, service, { hosts, recheckMs: isSingleNode(config) ? 30_000 : 1_000 });
  const routes = trustRoutes({
    service,
    gunPolicy,
    access,
    maxPublishBytes: 100 * 1024 * 1024,
    currentMaxAgeSeconds: config.trust.currentMaxAgeSeconds,
    consistentMaxAgeSeconds: config.trust.consistentMaxAgeSeconds,
    policyCheck: trustPolicyCheck(policy, registry.name),
    events: { recorder: events.recorder, docs: metadata.trust },
    publishCheck: (repo) => requireWritable(metadata.attributes, repo, { kind: 'repository' }),
  });
  const handler: TrustHandler = invalidatingWrites(routes, gunPolicy, signedTags);
  const admin = new ContentTrustAdmin({
    store: {
      read: async () => (await registry.current()).trustPolicy,
      write: async (text) => void (await registry.update({ trustPolicy: text })),
    },
    docs: metadata.trust,
    deleteGun: (gun) => service.delete(gun),
    signedTags,
  });
  const signedServing = (manifests: ManifestService) =>
    new PolicySignedServing(policy, signedTags, (repo, digest) => manifests.get(repo, { kind: 'digest', digest }).catch(absentAsUndefined));
  return { handler, admin, signedServing, signedTags };
}

function absentAsUndefined(err: unknown): undefined {
  if (isWharfError(err) && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return undefined;
  throw err;
}

/**
 * wharf import: copies into this registry through the same upload and manifest services as pushes,
 * recorded in the audit log as pushes. Its operations are stored under this node's name (host name
 * and listen address, the same after a restart), so a restarted node ends those it left running.
 */
function importService(config: Config, metadata: MetadataStore, uploads: UploadService, manifests: ManifestService, logger: Logger, events: EventsSurface): Promise<ImportService> {
  return ImportService.open({
    metadata, uploads, manifests, tls: loadSourceTls(config.import), maxManifests: config.import.maxManifests, log: logger, now: Date.now,
    events: events.recorder, node: `${hostname()} ${config.listen}`, singleNode: isSingleNode(config),
  });
}

/** SQLite metadata means one node: this process makes every change, so it may cache what changes. */
function isSingleNode(config: Config): boolean {
  return config.metadata.startsWith('sqlite');
}

/** Tags are cached only where this process makes every tag change. */
function manifestCacheFor(config: Config): ManifestCache {
  return new ManifestCache({ ttlMs: 5_000, maxBytes: 64 * 1024 * 1024, cacheTags: isSingleNode(config) });
}

function banner(config: Config, tls: TlsMaterial | undefined): string {
  const url = `${tls ? 'https' : 'http'}://${config.listen}`;
  const lines = [
    `Wharf is serving ${url}`,
    `  data: ${config.data}   metadata: ${config.metadata.replace(/\/\/[^@/]*@/, '//***@')}`,
  ];
  if (!tls) {
    lines.push('  plain HTTP: docker needs "insecure-registries": ["' + config.listen + '"] in /etc/docker/daemon.json');
  } else if (tls.caFile) {
    const ca = tls.caFile;
    lines.push(
      `  CA certificate: ${ca}`,
      'To trust it:',
      `  docker:  sudo mkdir -p /etc/docker/certs.d/${config.listen} && sudo cp ${ca} /etc/docker/certs.d/${config.listen}/ca.crt`,
      `  docker trust (DCT): mkdir -p ~/.docker/tls/${config.listen} && cp ${ca} ~/.docker/tls/${config.listen}/ca.crt`,
      `  skopeo:  skopeo inspect --cert-dir /etc/docker/certs.d/${config.listen} docker://${config.listen}/<repo>:<tag>`,
      `  curl:    curl --cacert ${ca} ${url}/v2/`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * How to log in, with the owner's generated password on stdout only and only on the first start
 * (never through the logger); with auth.enabled false, what that leaves open.
 */
function authBanner(auth: AuthSurface | undefined, server: string, caFile: string | undefined): string {
  if (!auth) return `  authentication: OFF (auth.enabled false): anyone who reaches ${server} may pull, push, sign and delete\n`;
  const lines = [
    '  authentication: on (docs/auth.md); log in as owner:',
    `  docker:  docker login ${server} -u owner`,
    `  wharf:   npx wharf login ${server} -u owner${caFile === undefined ? '' : ` --ca-file ${caFile}`}   (logs docker in too)`,
  ];
  const generated = auth.bootstrap.generatedPassword;
  if (generated !== undefined) {
    lines.push(`  owner password (shown once, set auth.ownerPassword to choose it): ${generated}`);
  }
  return lines.join('\n') + '\n';
}
