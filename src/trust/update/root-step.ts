/** Step 1 of 6.3: the root in force after the update (uploaded and fully checked, or stored). */
import { WharfError } from '../../errors/wharf-error.ts';
import { rootCertificateProblem, type TufKey } from '../keys.ts';
import { parseEnvelope } from '../models/envelope.ts';
import { rootFromJSON, type Root } from '../models/root.ts';
import { BASE_ROLES } from '../role-names.ts';
import { countValidSignatures } from '../signatures.ts';
import { requireKeyIdsMatch, requireNotExpired, requireTypeAndVersion, signedMessage } from './checks.ts';
import { invalidUpdate } from './invalid.ts';
import type { ParsedPart } from './parts.ts';

type RootPart = Extract<ParsedPart, { kind: 'root' }>;

export interface RootInForce {
  root: Root;
  bytes: Buffer;
}

/** Parses a stored document the server wrote or accepted earlier; failure is our fault (UNKNOWN). */
export function parseStored<T>(bytes: Buffer, role: string, body: (signed: ReturnType<typeof parseEnvelope>['signedValue']) => T): T {
  try {
    return body(parseEnvelope(bytes).signedValue);
  } catch (err) {
    throw new WharfError('UNKNOWN', undefined, { cause: new Error(`stored ${role} is unreadable`, { cause: err }) });
  }
}

export function checkRoot(gun: string, part: RootPart | undefined, storedBytes: Buffer | undefined, now: Date): RootInForce {
  const stored = storedBytes && parseStored(storedBytes, 'root', rootFromJSON);
  if (!part) {
    // Step 1: nothing to trust at all.
    if (!stored || !storedBytes) throw invalidUpdate('ErrValidation', 'no pre-existing root and no root provided in update.');
    return { root: stored, bytes: storedBytes };
  }
  const root = part.body;
  // 1.1: version = current or current + 1; current is 1 without a stored root (a first root may be v1 or v2).
  const current = stored?.version ?? 1;
  if (root.version !== current && root.version !== current + 1) {
    throw invalidUpdate('ErrBadRoot', `Root modifications must increment the version. Current ${current}, new ${root.version}`);
  }
  checkRootStructure(root);
  // 1.3: usable root certificates among the root role's keys.
  const leaves = validRootKeys(root, gun, now, true);
  if (leaves.size === 0) {
    throw invalidUpdate('ErrBadRoot', 'could not validate the path to a trusted root: unable to retrieve valid leaf certificates');
  }
  const message = signedMessage(part.doc, 'ErrBadRoot');
  // 1.4: a rotation must be signed by the previous root's threshold of its certificates (expiry ignored).
  if (stored) {
    const threshold = stored.roles.get('root')?.threshold ?? 1;
    const previous = validRootKeys(stored, gun, now, false);
    if (countValidSignatures(part.doc.signatures, previous, threshold, message) < threshold) {
      throw invalidUpdate('ErrBadRoot', 'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates');
    }
  }
  // 1.5: and by its own root threshold.
  const threshold = root.roles.get('root')?.threshold ?? 1;
  if (countValidSignatures(part.doc.signatures, leaves, threshold, message) < threshold) {
    throw invalidUpdate('ErrBadRoot', 'could not validate the path to a trusted root: failed to validate integrity of roots');
  }
  // 1.6: not expired (checked last, as the reference does).
  requireNotExpired(root, 'root', now, 'ErrBadRoot');
  return { root, bytes: part.bytes };
}

/** 1.2: `_type`, version ≥ 1, the four base roles with threshold ≥ 1 and known key IDs; [R] key IDs match content. */
function checkRootStructure(root: Root): void {
  requireTypeAndVersion(root, 'root', 'Root', 'ErrBadRoot');
  for (const name of BASE_ROLES) {
    const role = root.roles.get(name);
    if (!role) throw invalidUpdate('ErrBadRoot', `root type metadata invalid: missing ${name} role specification`);
    if (role.threshold < 1) {
      throw invalidUpdate('ErrBadRoot', `root type metadata invalid: invalid threshold specified for ${name}: ${role.threshold} `);
    }
    for (const id of role.keyIds) {
      if (!root.keys.has(id)) {
        throw invalidUpdate('ErrBadRoot', `root type metadata invalid: key ID ${id} specified in ${name} without corresponding key`);
      }
    }
  }
  requireKeyIdsMatch(root.keys, 'ErrBadRoot');
}

/** Root-role keys that are valid root certificates for the GUN (1.3), keyed by key ID. */
function validRootKeys(root: Root, gun: string, now: Date, checkExpiry: boolean): Map<string, TufKey> {
  const out = new Map<string, TufKey>();
  for (const id of root.roles.get('root')?.keyIds ?? []) {
    const key = root.keys.get(id);
    if (key && rootCertificateProblem(key, gun, now, checkExpiry) === undefined) out.set(id, key);
  }
  return out;
}
