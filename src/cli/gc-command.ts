import type { Config } from '../config/schema.ts';
import { collectGarbage } from '../oci/garbage-collector.ts';
import { openStores } from '../storage/open.ts';

/** `wharf gc [--dry-run]`: runs against the configured stores, alongside a serving registry. */
export async function runGc(config: Config, dryRun: boolean): Promise<void> {
  const stores = await openStores(config);
  try {
    const report = await collectGarbage(stores.metadata, stores.blobs, {
      dryRun,
      graceMs: config.gc.graceSeconds * 1000,
      uploadTtlMs: config.gc.uploadTtlSeconds * 1000,
    });
    const verb = dryRun ? 'would remove' : 'removed';
    process.stdout.write(
      [
        `${verb} ${report.blobsRemoved + report.orphanFiles} blob(s), ${report.bytesFreed} bytes`,
        `  stale uploads: ${report.staleUploads}`,
        `  referrers whose subject is gone: ${report.orphanReferrers}`,
        `  unused blob links: ${report.unusedLinks}`,
        `  unreferenced blobs: ${report.blobsRemoved}`,
        `  files without metadata: ${report.orphanFiles}`,
      ].join('\n') + '\n',
    );
  } finally {
    await stores.close();
  }
}
