import { WharfError } from '../errors/wharf-error.ts';
import { isRepoName, type RepoName } from '../oci/names.ts';
import type { Gun } from './types.ts';

const MAX_GUN_BYTES = 255;

/**
 * Which GUNs this registry serves trust data for (spec 1.2 [R]): `<one of our host names>/<valid
 * repository>`, exactly as clients spell them. Anything else is rejected, as the reference does for
 * GUNs outside its configured prefixes.
 */
export class GunPolicy {
  private readonly hosts: ReadonlySet<string>;

  constructor(hosts: readonly string[]) {
    this.hosts = new Set(hosts);
  }

  /**
   * The host[:port] names clients may use for this registry: the configured ones, or the listen
   * address and every certificate name with the listen port (and without it on port 443).
   */
  static hostsFor(configured: readonly string[] | undefined, listen: { host: string; port: number }, certNames: readonly string[]): string[] {
    if (configured && configured.length > 0) return [...configured];
    const names = new Set([listen.host, ...certNames].filter((h) => h !== '0.0.0.0' && h !== '::'));
    const hosts: string[] = [];
    for (const name of names) {
      const host = name.includes(':') ? `[${name}]` : name;
      hosts.push(`${host}:${listen.port}`);
      if (listen.port === 443) hosts.push(host);
    }
    return hosts;
  }

  /** The GUN and the registry repository it names, or undefined when it is not one of ours. */
  parse(path: string): { gun: Gun; repo: RepoName } | undefined {
    if (Buffer.byteLength(path) > MAX_GUN_BYTES) return undefined;
    const slash = path.indexOf('/');
    if (slash <= 0) return undefined;
    const host = path.slice(0, slash);
    const repo = path.slice(slash + 1);
    if (!this.hosts.has(host) || !isRepoName(repo)) return undefined;
    return { gun: path as Gun, repo };
  }

  /** For errors: POST answers INVALID_GUN, every other method METADATA_NOT_FOUND (spec 1.2). */
  static rejection(method: string): WharfError {
    return method === 'POST' ? new WharfError('INVALID_GUN') : new WharfError('METADATA_NOT_FOUND');
  }
}
