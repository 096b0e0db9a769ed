import { WharfError } from '../errors/wharf-error.ts';
import { tryParseDigest, type Digest } from './digest.ts';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, isForeignLayer, MEDIA_TYPES } from './media-types.ts';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
}

/** What the registry needs to know of a manifest to store and relate it; the bytes stay as received. */
export interface ParsedManifest {
  mediaType: string;
  /** Config and layers the repository must hold. */
  blobRefs: Digest[];
  /** Child manifests (of an index) the repository must hold. */
  manifestRefs: Digest[];
  subject?: Digest;
  artifactType?: string;
  annotations?: string;
}

type Json = Record<string, unknown>;

/**
 * Parses and validates an image manifest or index (OCI image-spec v1.1, Docker schema 2).
 * `contentType` is the request's Content-Type; when the body names a mediaType too, they must agree.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  const doc = parseJsonObject(bytes);
  if (doc.schemaVersion !== 2) invalid('schemaVersion must be 2 (schema 1 manifests are not supported)');
  const mediaType = resolveMediaType(doc, contentType);
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const artifactType = optionalString(doc.artifactType, 'artifactType');
  const annotations = annotationsOf(doc.annotations);
  if (INDEX_TYPES.has(mediaType)) {
    const children = descriptorList(doc.manifests, 'manifests');
    return { mediaType, blobRefs: [], manifestRefs: unique(children.map((d) => d.digest)), subject: subject?.digest, artifactType, annotations };
  }
  const config = descriptor(doc.config, 'config');
  const layers = descriptorList(doc.layers, 'layers');
  const stored = layers.filter((l) => !(isForeignLayer(l.mediaType) && l.urls !== undefined && l.urls.length > 0));
  return {
    mediaType,
    blobRefs: unique([config.digest, ...stored.map((l) => l.digest)]),
    manifestRefs: [],
    subject: subject?.digest,
    // image-spec: without artifactType, an image manifest's artifact type is its config's media type.
    artifactType: artifactType ?? (mediaType === MEDIA_TYPES.ociManifest ? config.mediaType : undefined),
    annotations,
  };
}

function parseJsonObject(bytes: Buffer): Json {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) invalid('manifest must be a JSON object');
  return doc as Json;
}

function resolveMediaType(doc: Json, contentType: string | undefined): string {
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  const declared = optionalString(doc.mediaType, 'mediaType');
  const known = (t: string | undefined) => t !== undefined && (IMAGE_MANIFEST_TYPES.has(t) || INDEX_TYPES.has(t));
  if (declared !== undefined && known(header) && header !== declared) {
    invalid(`mediaType ${declared} does not match Content-Type ${header}`);
  }
  const mediaType = declared ?? (known(header) ? header : inferMediaType(doc));
  if (!known(mediaType)) invalid(`unsupported manifest media type: ${String(mediaType)}`);
  return mediaType!;
}

/** OCI lets the mediaType field be absent; the shape tells an index from an image manifest. */
function inferMediaType(doc: Json): string | undefined {
  if (Array.isArray(doc.manifests)) return MEDIA_TYPES.ociIndex;
  if (doc.config !== undefined) return MEDIA_TYPES.ociManifest;
  return undefined;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(`${where} must be a descriptor object`);
  const d = value as Json;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') invalid(`${where}.mediaType must be a string`);
  const digest = typeof d.digest === 'string' ? tryParseDigest(d.digest) : undefined;
  if (!digest) invalid(`${where}.digest is not a valid digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) invalid(`${where}.size must be a non-negative integer`);
  if (d.urls !== undefined && (!Array.isArray(d.urls) || !d.urls.every((u) => typeof u === 'string'))) {
    invalid(`${where}.urls must be a list of strings`);
  }
  return { mediaType: d.mediaType as string, digest: digest!, size: d.size as number, urls: d.urls as string[] | undefined };
}

function descriptorList(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) invalid(`${where} must be a list of descriptors`);
  return (value as unknown[]).map((item, i) => descriptor(item, `${where}[${i}]`));
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') invalid(`${where} must be a string`);
  return value as string;
}

function annotationsOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('annotations must be an object');
  if (!Object.values(value as Json).every((v) => typeof v === 'string')) invalid('annotation values must be strings');
  return JSON.stringify(value);
}

function unique(digests: Digest[]): Digest[] {
  return [...new Set(digests)];
}

function invalid(message: string): never {
  throw new WharfError('MANIFEST_INVALID', message);
}
