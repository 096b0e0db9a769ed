import type { IncomingMessage } from 'node:http';
import { algorithmOf, digestOf, hexOf, tryParseDigest, type Digest } from '../oci/digest.ts';
import { IMAGE_MANIFEST_TYPES, INDEX_TYPES, MEDIA_TYPES } from '../oci/media-types.ts';
import { ImportFailure } from './import-failure.ts';
import { answerChallenge, parseChallenge, type SourceCredentials } from './source-auth.ts';
import { readLimited, type SourceHttp } from './source-http.ts';

/** A manifest as the source served it: exact bytes, its media type, and the digest verified over the bytes. */
export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

export interface ReferrerDescriptor {
  readonly digest: Digest;
  readonly mediaType: string;
}

const MANIFEST_ACCEPT = [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES].join(', ');
const MAX_REFERRER_PAGES = 20;

/**
 * A small distribution-spec client for one repository of another registry: manifests, streamed
 * blobs, referrers. Authenticates on the first 401 (Bearer token for `repository:<repo>:pull`, or
 * Basic) and reuses the answer for every later request of the import.
 */
export class SourceRegistry {
  readonly #origin: string;
  #authorization: string | undefined;

  constructor(
    readonly host: string,
    readonly repository: string,
    private readonly credentials: SourceCredentials | undefined,
    private readonly http: SourceHttp,
    private readonly signal: AbortSignal,
    private readonly maxManifestBytes: number,
  ) {
    this.#origin = `https://${host}`;
  }

  /**
   * The manifest `reference` (tag or digest) names; undefined when the source has none. Verifies
   * the bytes against the digest asked for, or against Docker-Content-Digest for a tag.
   */
  async manifest(reference: { tag: string } | { digest: Digest }): Promise<FetchedManifest | undefined> {
    const ref = 'tag' in reference ? reference.tag : reference.digest;
    const res = await this.#get(`/v2/${this.repository}/manifests/${ref}`, { accept: MANIFEST_ACCEPT });
    if (res.statusCode === 404) {
      res.resume();
      return undefined;
    }
    await this.#expectOk(res, `manifest ${this.repository}:${ref}`);
    const bytes = await readLimited(res, this.maxManifestBytes, `manifest ${ref}`);
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
    const declared = tryParseDigest(String(res.headers['docker-content-digest'] ?? ''));
    const expected = 'digest' in reference ? reference.digest : declared;
    const digest = digestOf(bytes, expected === undefined ? 'sha256' : algorithmOf(expected));
    if (expected !== undefined && digest !== expected) {
      throw new ImportFailure(`manifest ${this.repository}:${ref} from ${this.host} hashes to ${digest}, not ${expected}`, 'DigestMismatch');
    }
    return { bytes, mediaType, digest };
  }

  /** The blob's bytes as a stream (the caller consumes or destroys it) and its Content-Length if sent. */
  async blob(digest: Digest): Promise<{ body: IncomingMessage; length?: number }> {
    const res = await this.#get(`/v2/${this.repository}/blobs/${digest}`, {});
    if (res.statusCode === 404) {
      res.resume();
      throw new ImportFailure(`blob ${digest} is not in ${this.host}/${this.repository}`, 'SourceNotFound');
    }
    await this.#expectOk(res, `blob ${digest}`);
    const length = Number(res.headers['content-length']);
    return { body: res, ...(Number.isSafeInteger(length) && { length }) };
  }

  /**
   * Manifests whose subject is `digest`: the Referrers API, or when the source does not serve it,
   * the `sha256-<hex>` tag schema (distribution-spec v1.1 "referrers tag schema").
   */
  async referrers(digest: Digest): Promise<ReferrerDescriptor[]> {
    const found: ReferrerDescriptor[] = [];
    let path: string | undefined = `/v2/${this.repository}/referrers/${digest}`;
    for (let page = 0; path !== undefined && page < MAX_REFERRER_PAGES; page++) {
      const res = await this.#get(path, { accept: MEDIA_TYPES.ociIndex });
      if (res.statusCode !== 200) {
        res.resume();
        if (page > 0) await this.#expectOk(res, `referrers of ${digest}`);
        return this.#fallbackReferrers(digest);
      }
      found.push(...descriptorsOf(await readLimited(res, this.maxManifestBytes, `referrers of ${digest}`)));
      path = nextPage(String(res.headers.link ?? ''));
    }
    return found;
  }

  async #fallbackReferrers(digest: Digest): Promise<ReferrerDescriptor[]> {
    const index = await this.manifest({ tag: `${algorithmOf(digest)}-${hexOf(digest)}` });
    return index === undefined || !INDEX_TYPES.has(index.mediaType) ? [] : descriptorsOf(index.bytes);
  }

  async #get(path: string, headers: Record<string, string>): Promise<IncomingMessage> {
    const url = new URL(path, this.#origin);
    const authorization = (origin: string) => (origin === this.#origin ? this.#authorization : undefined);
    let res = await this.http.get(url, { headers, authorization, signal: this.signal });
    if (res.statusCode !== 401) return res;
    res.resume();
    const challenge = parseChallenge(res.headers['www-authenticate']);
    if (challenge === undefined) throw new ImportFailure(`${this.host} answered 401 without a challenge`, 'SourceUnauthorized');
    this.#authorization = await answerChallenge(this.http, challenge, this.repository, this.credentials, this.signal);
    res = await this.http.get(url, { headers, authorization, signal: this.signal });
    if (res.statusCode === 401 || res.statusCode === 403) {
      res.resume();
      const who = this.credentials === undefined ? 'anonymous access' : 'the credentials';
      throw new ImportFailure(`${this.host} refused ${who} for pulling ${this.repository} (HTTP ${res.statusCode})`, 'SourceUnauthorized');
    }
    return res;
  }

  async #expectOk(res: IncomingMessage, what: string): Promise<void> {
    if (res.statusCode === 200) return;
    const status = res.statusCode ?? 0;
    const text = (await readLimited(res, 64 * 1024, 'error body').catch(() => Buffer.alloc(0))).toString('utf8');
    const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1];
    const failure = status === 403 ? 'SourceUnauthorized' : 'ImportFailed';
    throw new ImportFailure(`${this.host} answered HTTP ${status}${code === undefined ? '' : ` ${code}`} for ${what}`, failure);
  }
}

/** The descriptors of an image index's `manifests` with well-formed digests; anything else is skipped. */
function descriptorsOf(bytes: Buffer): ReferrerDescriptor[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImportFailure('the source\'s referrers list is not JSON', 'InvalidManifest');
  }
  const manifests = (doc as { manifests?: unknown }).manifests;
  if (!Array.isArray(manifests)) return [];
  return manifests.flatMap((m: { digest?: unknown; mediaType?: unknown }) => {
    const digest = typeof m.digest === 'string' ? tryParseDigest(m.digest) : undefined;
    return digest === undefined || typeof m.mediaType !== 'string' ? [] : [{ digest, mediaType: m.mediaType }];
  });
}

/** The path of `Link: <…>; rel="next"` (RFC 8288), or undefined. */
function nextPage(link: string | undefined): string | undefined {
  const match = link?.match(/<([^>]+)>\s*;\s*rel="?next"?/);
  if (!match) return undefined;
  const url = new URL(match[1]!, 'https://source.invalid');
  return url.pathname + url.search;
}
