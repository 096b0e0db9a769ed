/**
 * Why an import stopped, as the operation reports it (`error: {code, message}`): the message
 * names the source, digest or tag concerned and never carries credentials.
 */
export type ImportFailureCode =
  | 'ImportFailed'
  | 'SourceUnauthorized'
  | 'SourceNotFound'
  | 'SourceUnreachable'
  | 'DigestMismatch'
  | 'InvalidManifest'
  | 'TooManyManifests'
  | 'Conflict'
  | 'Canceled';

export class ImportFailure extends Error {
  override readonly name = 'ImportFailure';

  constructor(
    message: string,
    readonly code: ImportFailureCode = 'ImportFailed',
  ) {
    super(message);
  }
}
