import { isWharfError, WharfError } from './wharf-error.ts';

/** The distribution-spec (and Notary) error envelope. */
export interface OciErrorBody {
  errors: { code: string; message: string; detail?: unknown }[];
}

export function ociErrorBody(err: WharfError): OciErrorBody {
  const entry: OciErrorBody['errors'][number] = { code: err.wireCode, message: err.message };
  if (err.detail !== undefined) entry.detail = err.detail;
  return { errors: [entry] };
}

/** Maps anything thrown to a WharfError; unknown failures become UNKNOWN with a generic message. */
export function toWharfError(err: unknown): WharfError {
  if (isWharfError(err)) return err;
  const fields = typeof err === 'object' && err !== null ? (err as { statusCode?: number; code?: string }) : {};
  const { statusCode: status, code } = fields;
  // Fastify's own client errors (malformed request framing, body too large) keep their meaning.
  if (status === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new WharfError('SIZE_INVALID', 'request body too large');
  if (status !== undefined && status >= 400 && status < 500) return new WharfError('UNSUPPORTED', 'malformed request');
  // The client went away mid-body: its fault, not ours (and nobody reads the answer).
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err instanceof Error && err.message === 'aborted')) {
    return new WharfError('BLOB_UPLOAD_INVALID', 'the request body was interrupted');
  }
  return new WharfError('UNKNOWN');
}
