import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { RequestInit, Response } from 'undici';

/** What the OCI integration tests need of a running registry (a WharfInstance satisfies it). */
export interface Registry {
  /** Base URL without a trailing slash, e.g. https://127.0.0.1:40123 */
  readonly url: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The OCI "empty" JSON blob `{}` used as config of artifacts. */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
export const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

/** Bytes as they go on the wire, with their digest and media type. */
export interface Content {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export function sha256(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function sha512(bytes: Buffer | string): string {
  return `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
}

/** A digest of well-formed shape that no test ever uploads. */
export function randomDigest(): string {
  return `sha256:${randomBytes(32).toString('hex')}`;
}

/** Random bytes, so each test owns its blobs. */
export function randomBlob(size = 64): Buffer {
  return randomBytes(size);
}

/** A repository name of three path components, unique to the calling test. */
export function uniqueRepo(prefix: string): string {
  return `it/${prefix}/r${randomBytes(5).toString('hex')}`;
}

export function descriptorOf(content: Content, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: content.mediaType, digest: content.digest, size: content.bytes.length, ...extra };
}

/**
 * Serialises deliberately non-canonically (tabs, CRLF, trailing whitespace) so that tests prove
 * the registry keeps and hashes the exact bytes it received.
 */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, '\t').replace(/\n/g, '\r\n')}\r\n  `);
}

export function content(value: unknown, mediaType: string): Content {
  const bytes = jsonBytes(value);
  return { bytes, digest: sha256(bytes), mediaType };
}

/** A unique image config blob (OCI or Docker flavoured). */
export function configBlob(mediaType: string = MEDIA.ociConfig): Content {
  const bytes = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { nonce: randomBytes(8).toString('hex') } },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  return { bytes, digest: sha256(bytes), mediaType };
}

export function layerBlob(size = 128, mediaType: string = MEDIA.ociLayer): Content {
  const bytes = randomBlob(size);
  return { bytes, digest: sha256(bytes), mediaType };
}

export interface ManifestParts {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** An image manifest (OCI by default; pass MEDIA.dockerManifest for Docker v2 schema 2). */
export function imageManifest(parts: ManifestParts): Content {
  const mediaType = parts.mediaType ?? MEDIA.ociManifest;
  const body: Record<string, unknown> = { schemaVersion: 2, mediaType };
  if (parts.artifactType !== undefined) body['artifactType'] = parts.artifactType;
  body['config'] = parts.config;
  body['layers'] = parts.layers;
  if (parts.subject !== undefined) body['subject'] = parts.subject;
  if (parts.annotations !== undefined) body['annotations'] = parts.annotations;
  return content(body, mediaType);
}

/** An image index (OCI by default; pass MEDIA.dockerList for a Docker manifest list). */
export function imageIndex(
  manifests: Descriptor[],
  opts: { mediaType?: string; subject?: Descriptor; artifactType?: string; annotations?: Record<string, string> } = {},
): Content {
  const mediaType = opts.mediaType ?? MEDIA.ociIndex;
  const body: Record<string, unknown> = { schemaVersion: 2, mediaType };
  if (opts.artifactType !== undefined) body['artifactType'] = opts.artifactType;
  body['manifests'] = manifests;
  if (opts.subject !== undefined) body['subject'] = opts.subject;
  if (opts.annotations !== undefined) body['annotations'] = opts.annotations;
  return content(body, mediaType);
}

/** Resolves a Location header (absolute or relative) against the registry to a path with query. */
export function locationPath(reg: Registry, location: string | null): string {
  assert.ok(location, 'expected a Location header');
  const resolved = new URL(location, `${reg.url}/v2/`);
  assert.equal(resolved.origin, new URL(reg.url).origin, `Location points elsewhere: ${location}`);
  return resolved.pathname + resolved.search;
}

/** Adds query parameters to a path that may already carry some (upload URLs often do). */
export function withQuery(path: string, params: Record<string, string>): string {
  const url = new URL(path, 'http://registry.invalid');
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.pathname + url.search;
}

/** The first error code of a `{"errors":[{code,message,detail}]}` body (consumes the body). */
export async function errorCodeOf(res: Response): Promise<string | undefined> {
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.fail(`expected an error envelope, got ${res.status}: ${text.slice(0, 300)}`);
  }
  const errors = (parsed as { errors?: unknown }).errors;
  assert.ok(Array.isArray(errors) && errors.length > 0, `no errors[] in ${text.slice(0, 300)}`);
  const first = errors[0] as { code?: unknown; message?: unknown };
  assert.equal(typeof first.code, 'string', `error without code: ${text.slice(0, 300)}`);
  return first.code as string;
}

/** Asserts status and error code together, reporting the body when the status is wrong. */
export async function expectError(res: Response, status: number, codes: string | readonly string[]): Promise<void> {
  const allowed = typeof codes === 'string' ? [codes] : codes;
  if (res.status !== status) {
    const text = await res.text();
    assert.fail(`expected ${status} ${allowed.join('|')}, got ${res.status}: ${text.slice(0, 300)}`);
  }
  const code = await errorCodeOf(res);
  assert.ok(code !== undefined && allowed.includes(code), `expected code ${allowed.join('|')}, got ${code}`);
}

/** Asserts the status, printing the body on mismatch; consumes the body. */
export async function expectStatus(res: Response, status: number): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Starts an upload session; returns the session path (resolved Location). */
export async function startUpload(reg: Registry, repo: string): Promise<string> {
  const res = await reg.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  await expectStatus(res, 202);
  return locationPath(reg, res.headers.get('location'));
}

/** Pushes a blob the way docker does (POST, then PUT ?digest= with the body); returns its digest. */
export async function pushBlob(reg: Registry, repo: string, bytes: Buffer, digest = sha256(bytes)): Promise<string> {
  const session = await startUpload(reg, repo);
  const res = await reg.fetch(withQuery(session, { digest }), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  await expectStatus(res, 201);
  return digest;
}

export async function putManifest(reg: Registry, repo: string, reference: string, manifest: Content): Promise<Response> {
  return reg.fetch(`/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
  });
}

/** PUTs a manifest and asserts 201; returns the response (body consumed). */
export async function pushManifest(reg: Registry, repo: string, reference: string, manifest: Content): Promise<Response> {
  const res = await putManifest(reg, repo, reference, manifest);
  await expectStatus(res, 201);
  return res;
}

export interface PushedImage {
  config: Content;
  layers: Content[];
  manifest: Content;
}

/** Pushes config + layers + manifest (by `reference`, default: by digest). */
export async function pushImage(
  reg: Registry,
  repo: string,
  opts: { reference?: string; mediaType?: string; layers?: number; subject?: Descriptor; artifactType?: string; annotations?: Record<string, string> } = {},
): Promise<PushedImage> {
  const isDocker = opts.mediaType === MEDIA.dockerManifest;
  const config = configBlob(isDocker ? MEDIA.dockerConfig : MEDIA.ociConfig);
  const layers = Array.from({ length: opts.layers ?? 1 }, () => layerBlob(128, isDocker ? MEDIA.dockerLayer : MEDIA.ociLayer));
  for (const blob of [config, ...layers]) await pushBlob(reg, repo, blob.bytes);
  const manifest = imageManifest({
    mediaType: opts.mediaType,
    config: descriptorOf(config),
    layers: layers.map((l) => descriptorOf(l)),
    subject: opts.subject,
    artifactType: opts.artifactType,
    annotations: opts.annotations,
  });
  await pushManifest(reg, repo, opts.reference ?? manifest.digest, manifest);
  return { config, layers, manifest };
}

/** Pushes an artifact (empty config, one small layer) whose subject is `subject`. */
export async function pushArtifact(
  reg: Registry,
  repo: string,
  subject: Descriptor,
  opts: { artifactType?: string; configMediaType?: string; annotations?: Record<string, string> } = {},
): Promise<{ manifest: Content; response: Response }> {
  const layer = layerBlob(32, 'application/vnd.example.payload');
  await pushBlob(reg, repo, layer.bytes);
  let config: Descriptor;
  if (opts.configMediaType !== undefined) {
    const cfg = configBlob(opts.configMediaType);
    await pushBlob(reg, repo, cfg.bytes);
    config = descriptorOf(cfg);
  } else {
    await pushBlob(reg, repo, EMPTY_JSON);
    config = { mediaType: MEDIA.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 };
  }
  const manifest = imageManifest({
    config,
    layers: [descriptorOf(layer)],
    subject,
    artifactType: opts.artifactType,
    annotations: opts.annotations,
  });
  const response = await pushManifest(reg, repo, manifest.digest, manifest);
  return { manifest, response };
}

/** Reads JSON from a 200 response, asserting the status first. */
export async function jsonOf<T>(res: Response, status = 200): Promise<T> {
  const text = await expectStatus(res, status);
  return JSON.parse(text) as T;
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body` over a raw socket,
 * then (with `halfClose`) half-closes it, so a test can send a body that disagrees with its
 * Content-Length or a path fetch would normalise. Adds the Authorization header `target` gives for
 * the path (a WharfInstance logs in as its owner). Resolves with the status line's code, or
 * undefined when the server closed the connection without answering.
 */
export async function rawRequest(
  target: { url: string; caPem?: string; authorization?(path: string): Promise<string | undefined> },
  head: string,
  body: Buffer = Buffer.alloc(0),
  opts: { halfClose?: boolean; timeoutMs?: number } = {},
): Promise<{ status: number | undefined; text: string }> {
  const authorization = await target.authorization?.(head.split(' ')[1] ?? '/');
  const fullHead = `${head}${authorization === undefined ? '' : `\r\nAuthorization: ${authorization}`}`;
  const url = new URL(target.url);
  const port = Number(url.port);
  const socket =
    url.protocol === 'https:'
      ? tlsConnect({ host: url.hostname, port, ca: target.caPem })
      : tcpConnect({ host: url.hostname, port });
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, opts.timeoutMs ?? 10_000);
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : undefined, text });
    };
    socket.on(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      socket.write(`${fullHead}\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
      if (opts.halfClose ?? true) socket.end(body);
      else socket.write(body);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => finish());
    socket.on('close', finish);
  });
}
