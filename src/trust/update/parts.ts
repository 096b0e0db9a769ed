/**
 * Step 0 of 6.3: multipart filenames → roles (6.1) and bytes → parsed metadata.
 * Errors: NO_FILENAME, INVALID_ROLE (detail = the role string), MALFORMED_UPLOAD (duplicates, [R]),
 * MALFORMED_JSON (not JSON, or a field of the wrong type).
 */
import { WharfError } from '../../errors/wharf-error.ts';
import { parseEnvelope, type Envelope } from '../models/envelope.ts';
import { rootFromJSON, type Root } from '../models/root.ts';
import { snapshotFromJSON, type Snapshot } from '../models/snapshot.ts';
import { targetsFromJSON, type Targets } from '../models/targets.ts';
import { isDelegationName, parseTufRole } from '../role-names.ts';
import type { TufRole } from '../types.ts';

export type ParsedPart =
  | { role: TufRole; kind: 'root'; bytes: Buffer; doc: Envelope; body: Root }
  | { role: TufRole; kind: 'targets'; bytes: Buffer; doc: Envelope; body: Targets }
  | { role: TufRole; kind: 'snapshot'; bytes: Buffer; doc: Envelope; body: Snapshot }
  | { role: TufRole; kind: 'timestamp'; bytes: Buffer; doc: Envelope };

/** The role a filename names: the filename minus an optional `.json` suffix (6.1). */
export function roleOfFilename(filename: string): TufRole {
  const name = filename.endsWith('.json') ? filename.slice(0, -'.json'.length) : filename;
  if (name === '') throw new WharfError('NO_FILENAME');
  const role = parseTufRole(name);
  if (!role) throw new WharfError('INVALID_ROLE', undefined, { detail: name });
  return role;
}

/**
 * Validates every filename first, then parses every part. Role bodies are parsed with the role the
 * filename names, so `_type` mismatches surface later as INVALID_UPDATE (14.35), wrong JSON types here.
 */
export function parseParts(parts: ReadonlyMap<string, Buffer>): Map<TufRole, ParsedPart> {
  const named = new Map<TufRole, Buffer>();
  for (const [filename, bytes] of parts) {
    const role = roleOfFilename(filename);
    // [R] 6.1, 14.9: `targets` and `targets.json` name the same role; the reference keeps the last.
    if (named.has(role)) throw new WharfError('MALFORMED_UPLOAD', undefined, { cause: new Error(`duplicate role ${role}`) });
    named.set(role, bytes);
  }
  const parsed = new Map<TufRole, ParsedPart>();
  for (const [role, bytes] of named) {
    const doc = parseEnvelope(bytes);
    if (role === 'root') parsed.set(role, { role, kind: 'root', bytes, doc, body: rootFromJSON(doc.signedValue) });
    else if (role === 'snapshot') parsed.set(role, { role, kind: 'snapshot', bytes, doc, body: snapshotFromJSON(doc.signedValue) });
    else if (role === 'timestamp') parsed.set(role, { role, kind: 'timestamp', bytes, doc });
    else if (role === 'targets' || isDelegationName(role)) {
      parsed.set(role, { role, kind: 'targets', bytes, doc, body: targetsFromJSON(doc.signedValue) });
    }
  }
  return parsed;
}
