import type { ServerRole, TufRole } from './types.ts';

/** What a path under /v2/<gun>/_trust/ asks for (spec section 3). */
export type TrustPath =
  | { kind: 'publish' }
  | { kind: 'current'; role: TufRole }
  | { kind: 'checksum'; role: TufRole; sha256Hex: string }
  | { kind: 'version'; role: TufRole; version: number }
  | { kind: 'key'; role: ServerRole }
  | { kind: 'changefeed' };

// The reference's route grammar for roles: reads of anything else are simply not found.
const ROLE = /^(?:root|targets|snapshot|timestamp|targets(?:\/[^/\s]+)+)$/;
const HEX = /^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})$/;

/** Parses `rest` (the path after `_trust/`); undefined for anything the API does not route. */
export function parseTrustPath(rest: string): TrustPath | undefined {
  if (rest === 'changefeed') return { kind: 'changefeed' };
  if (!rest.startsWith('tuf/')) return undefined;
  const file = rest.slice('tuf/'.length);
  if (file === '') return { kind: 'publish' };
  if (file === 'timestamp.key' || file === 'snapshot.key') return { kind: 'key', role: file.slice(0, -'.key'.length) as ServerRole };
  if (!file.endsWith('.json')) return undefined;
  const stem = file.slice(0, -'.json'.length);
  const dot = stem.lastIndexOf('.');
  if (dot > 0 && HEX.test(stem.slice(dot + 1))) {
    const role = stem.slice(0, dot);
    // Only lowercase SHA-256 can name a stored file (spec E4); other spellings are routed but unknown.
    return ROLE.test(role) ? { kind: 'checksum', role: role as TufRole, sha256Hex: stem.slice(dot + 1) } : undefined;
  }
  const versioned = /^([0-9]+)\.(.+)$/.exec(stem);
  if (versioned && ROLE.test(versioned[2]!)) {
    return { kind: 'version', role: versioned[2] as TufRole, version: Number(versioned[1]) };
  }
  return ROLE.test(stem) ? { kind: 'current', role: stem as TufRole } : undefined;
}
