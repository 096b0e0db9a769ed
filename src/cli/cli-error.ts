/**
 * What went wrong in a client command, which fixes its exit code (docs/cli.md): scripts can tell
 * a mistake in their own arguments from a refusal by the registry and from an unreachable one.
 */
export const EXIT_CODES = {
  /** The registry answered with an error (400, 409, 5xx...). */
  server: 1,
  /** Bad arguments or options, an invalid --query, nothing logged in. */
  usage: 2,
  /** The registry answered 404: what was named does not exist. */
  notFound: 3,
  /** The registry refused the credentials (401) or the caller lacks the role (403); or no credentials. */
  auth: 4,
  /** The registry could not be reached: connection, DNS or TLS failure, timeout. */
  network: 5,
} as const;

export type CliErrorKind = keyof typeof EXIT_CODES;

/** An error printed as one line on stderr (`wharf: <message>`), exiting with the kind's code. */
export class CliError extends Error {
  constructor(
    readonly kind: CliErrorKind,
    message: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    return EXIT_CODES[this.kind];
  }
}
