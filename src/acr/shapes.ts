import type { ChangeableAttributes, ManifestDetail } from '../storage/metadata-store.ts';
import type { RepositoryView, SignedTagDetail } from './acr-service.ts';

/**
 * ACR's /acr/v1 JSON, field for field, so that ACR SDKs and scripts read it unchanged; Wharf adds
 * `sizeBytes` and `signedTagCount` to a repository, `signers` to a tag and `subject`/`artifactType` to referrers.
 */

/** ACR's time format: RFC 3339 UTC with seven fractional digits (Wharf keeps milliseconds). */
export function acrTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

export function attributesJson(a: ChangeableAttributes): Record<string, boolean> {
  return { deleteEnabled: a.deleteEnabled, writeEnabled: a.writeEnabled, readEnabled: a.readEnabled, listEnabled: a.listEnabled };
}

export function repositoryJson(registry: string, r: RepositoryView): Record<string, unknown> {
  return {
    registry,
    imageName: r.name,
    createdTime: acrTime(r.createdAt),
    lastUpdateTime: acrTime(r.updatedAt),
    manifestCount: r.manifestCount,
    tagCount: r.tagCount,
    signedTagCount: r.signedTagCount,
    sizeBytes: r.size,
    changeableAttributes: attributesJson(r.attributes),
  };
}

export function tagJson(t: SignedTagDetail): Record<string, unknown> {
  return {
    name: t.name,
    digest: t.digest,
    createdTime: acrTime(t.createdAt),
    lastUpdateTime: acrTime(t.updatedAt),
    signed: t.signed,
    signers: t.signers,
    changeableAttributes: attributesJson(t.attributes),
  };
}

export function manifestJson(m: ManifestDetail): Record<string, unknown> {
  return {
    digest: m.digest,
    imageSize: m.size,
    createdTime: acrTime(m.createdAt),
    lastUpdateTime: acrTime(m.createdAt),
    mediaType: m.mediaType,
    tags: m.tags,
    ...(m.subject !== undefined && { subject: m.subject }),
    ...(m.artifactType !== undefined && { artifactType: m.artifactType }),
    changeableAttributes: attributesJson(m.attributes),
  };
}
