import { CATALOG, type ErrorCode } from './catalog.ts';

/** The one error type services throw; the HTTP layer renders it in each surface's format. */
export class WharfError extends Error {
  override readonly name = 'WharfError';
  readonly detail?: unknown;
  /** Set on 401s; rendered as WWW-Authenticate. */
  readonly challenge?: string;
  /** Extra response headers the protocol asks for (e.g. Content-Range on 416). */
  readonly headers?: Readonly<Record<string, string>>;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    opts: { detail?: unknown; cause?: unknown; challenge?: string; headers?: Record<string, string> } = {},
  ) {
    super(message ?? CATALOG[code].message, { cause: opts.cause });
    this.detail = opts.detail;
    this.challenge = opts.challenge;
    this.headers = opts.headers;
  }

  get status(): number {
    return CATALOG[this.code].status;
  }

  /** The code clients see. */
  get wireCode(): string {
    const entry = CATALOG[this.code] as { wire?: string };
    return entry.wire ?? this.code;
  }
}

export function isWharfError(err: unknown): err is WharfError {
  return err instanceof WharfError;
}
