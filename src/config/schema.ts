import Type, { type Static } from 'typebox';

const section = { default: {}, additionalProperties: false } as const;

/** Every setting, its default and its meaning; docs/configuration.md is written from this. */
export const ConfigSchema = Type.Object(
  {
    listen: Type.String({ default: '127.0.0.1:5443', description: 'host:port to listen on' }),
    data: Type.String({ default: './data', description: 'directory for blobs, SQLite metadata, TLS files' }),
    metadata: Type.String({
      default: 'sqlite',
      description: "metadata store: 'sqlite' (file in the data directory), 'sqlite:<path>' or a postgres:// URL",
    }),
    tls: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'serve HTTPS; false serves plain HTTP' }),
        cert: Type.Optional(Type.String({ description: 'PEM certificate chain; default: generated in <data>/tls' })),
        key: Type.Optional(Type.String({ description: 'PEM private key for tls.cert' })),
      },
      section,
    ),
    limits: Type.Object(
      {
        manifestBytes: Type.Integer({ default: 4 * 1024 * 1024, minimum: 1024, description: 'largest manifest accepted' }),
        pageSize: Type.Integer({ default: 1000, minimum: 1, description: 'largest n for tag and catalog pages' }),
      },
      section,
    ),
    gc: Type.Object(
      {
        graceSeconds: Type.Integer({
          default: 3600,
          minimum: 0,
          description: 'blobs and links unreferenced for less than this are kept (pushes in flight)',
        }),
        uploadTtlSeconds: Type.Integer({ default: 86400, minimum: 0, description: 'idle uploads older than this are removed' }),
      },
      section,
    ),
    log: Type.Object(
      {
        level: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'log level (one JSON line per request at info)' }),
      },
      section,
    ),
    shutdownGraceMs: Type.Integer({ default: 10_000, minimum: 0, description: 'how long in-flight requests may drain' }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
