/**
 * INVALID_UPDATE errors with the detail object the notary client reads (spec 2.3):
 * `{"Name":"ErrBadTargets","Error":{"Msg":"…"}}`; ErrBadHierarchy adds `Missing`.
 */
import { WharfError } from '../../errors/wharf-error.ts';

export type InvalidUpdateName = 'ErrBadRoot' | 'ErrBadTargets' | 'ErrBadSnapshot' | 'ErrBadHierarchy' | 'ErrValidation';

export interface InvalidUpdateDetail {
  Name: InvalidUpdateName;
  Error: { Msg: string; Missing?: string };
}

export function invalidUpdate(name: InvalidUpdateName, msg: string, missing?: string): WharfError {
  const error = missing === undefined ? { Msg: msg } : { Missing: missing, Msg: msg };
  const detail: InvalidUpdateDetail = { Name: name, Error: error };
  return new WharfError('INVALID_UPDATE', undefined, { detail });
}

/** The Name used for failures of a role's own file (ErrBadRoot, ErrBadTargets for delegations too, ErrBadSnapshot). */
export function errorNameFor(role: string): InvalidUpdateName {
  if (role === 'root') return 'ErrBadRoot';
  if (role === 'snapshot') return 'ErrBadSnapshot';
  return 'ErrBadTargets';
}
