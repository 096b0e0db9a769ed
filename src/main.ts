import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { OPEN_ACCESS } from './auth/access-gate.ts';
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

/** Opens the stores, builds the app, listens, prints how to reach it, and drains on shutdown. */
export async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.log.level);
  const { host, port } = parseListen(config.listen)!;
  const stores = await openStores(config);
  const tls = config.tls.enabled ? await loadTls(config, host) : undefined;
  const uploads = new UploadService(stores.metadata, stores.blobs);
  const metrics = new Metrics(() => uploads.inFlight);
  const trust = await trustApi(config, stores.metadata, { host, port }, tls?.names ?? []);
  const app = await buildApp(config, {
    logger,
    metadata: stores.metadata,
    blobStore: stores.blobs,
    blobs: new BlobService(stores.metadata, stores.blobs),
    uploads,
    manifests: new ManifestService(stores.metadata, config.limits.manifestBytes, manifestCacheFor(config)),
    access: OPEN_ACCESS,
    metrics,
    https: tls,
    trust,
  });
  closeWithGrace({ delay: config.shutdownGraceMs, logger }, async ({ err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    await app.close();
    await stores.close();
  });
  await app.listen({ host, port });
  process.stdout.write(banner(config, tls));
}

/** The Notary v1 trust API on the registry's own host (shared/specs/notary-trust-api.md). */
async function trustApi(config: Config, metadata: MetadataStore, listen: { host: string; port: number }, certNames: string[]): Promise<TrustHandler> {
  const vault = await KeyVault.load(config);
  const cache = new TrustReadCache({ cacheLatest: isSingleNode(config), ttlMs: 5_000 });
  const service = new TrustService(metadata, new ServerKeysService(metadata, vault, config.trust.serverKeyType), cache);
  return trustRoutes({
    service,
    gunPolicy: new GunPolicy(GunPolicy.hostsFor(config.trust.hosts, listen, certNames)),
    access: OPEN_ACCESS,
    maxPublishBytes: 100 * 1024 * 1024,
    currentMaxAgeSeconds: config.trust.currentMaxAgeSeconds,
    consistentMaxAgeSeconds: config.trust.consistentMaxAgeSeconds,
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
