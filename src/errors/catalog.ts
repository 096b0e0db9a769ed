/**
 * Every failure a client can see. The key is the code we throw; `wire` (when present) is the code
 * rendered to clients, for the few cases where one protocol code has two statuses.
 * Statuses follow the distribution-spec error table as the reference registry serves it.
 */
export const CATALOG = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_TOO_LARGE: { status: 413, message: 'manifest exceeds the size limit', wire: 'MANIFEST_INVALID' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  NOT_FOUND: { status: 404, message: 'not found' },
  // Notary v1 trust API (shared/specs/notary-trust-api.md 2.2): the messages are the reference's, exactly.
  METADATA_NOT_FOUND: { status: 404, message: 'You have requested metadata that does not exist.' },
  INVALID_UPDATE: { status: 400, message: 'Update sent by the client is invalid.' },
  TRUST_VERSION: { status: 400, message: 'A newer version of metadata is already available.', wire: 'VERSION' },
  MALFORMED_JSON: { status: 400, message: 'JSON sent by the client could not be parsed by the server' },
  MALFORMED_UPLOAD: { status: 400, message: 'The body of your request is malformed.' },
  NO_FILENAME: { status: 400, message: 'No file/role name provided.' },
  INVALID_ROLE: { status: 400, message: 'The role you are attempting to operate on is invalid.' },
  INVALID_GUN: { status: 400, message: 'The server does not support actions on images of this name.' },
  INVALID_PARAMETERS: { status: 400, message: 'The parameters provided are not valid.' },
  UPDATING: { status: 500, message: 'An error has occurred while updating the TUF repository.' },
  // Management API under /api (rendered {"error":{"code","message","details"}}); never used on /v2.
  CONFLICT: { status: 409, message: 'the resource conflicts with an existing one' },
  INVALID_REQUEST: { status: 400, message: 'the request is invalid' },
  NOT_FOUND_RESOURCE: { status: 404, message: 'the resource was not found' },
  CONTENT_TRUST_DISABLE_NOT_CONFIRMED: {
    status: 409,
    message: 'disabling content trust deletes trust data irreversibly; confirm with the header x-wharf-confirm: delete-trust-data',
  },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const satisfies Record<string, { status: number; message: string; wire?: string }>;

export type ErrorCode = keyof typeof CATALOG;
