import Type, { type Static } from 'typebox';

const section = { default: {}, additionalProperties: false } as const;

/** Every setting, its default and its meaning; docs/configuration.md is written from this. */
export const ConfigSchema = Type.Object(
  {
    mode: Type.Enum(['dev', 'production'], {
      default: 'dev',
      description:
        "'dev' generates missing secrets under <data> (trust key-encryption key); 'production' refuses to start without them",
    }),
    listen: Type.String({ default: '127.0.0.1:5443', description: 'host:port to listen on' }),
    data: Type.String({ default: './data', description: 'directory for blobs, SQLite metadata, TLS files' }),
    metadata: Type.String({
      default: 'sqlite',
      description: "metadata store: 'sqlite' (file in the data directory), 'sqlite:<path>' or a postgres:// URL",
    }),
    sqlite: Type.Object(
      {
        synchronous: Type.Enum(['full', 'normal'], {
          default: 'full',
          description:
            "'full' fsyncs every commit, so an acknowledged push, tag move or trust publish survives power loss (as PostgreSQL and MySQL by default); 'normal' skips that fsync: faster writes, and an OS crash or power loss may undo the last commits (never corrupting the database)",
        }),
      },
      section,
    ),
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
    trust: Type.Object(
      {
        keyEncryptionKey: Type.Optional(
          Type.String({
            description:
              'base64 of 32 random bytes that encrypt the server-held trust signing keys at rest (AES-256-GCM); never logged',
          }),
        ),
        keyEncryptionKeyFile: Type.Optional(
          Type.String({
            description: 'file holding trust.keyEncryptionKey (base64); default in dev mode: <data>/trust-kek, generated with mode 0600',
          }),
        ),
        hosts: Type.Optional(
          Type.Array(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$' }), {
            minItems: 1,
            description:
              'registry host[:port] names a GUN may start with (env: comma-separated); default: the listen address and the certificate names',
          }),
        ),
        serverKeyType: Type.Enum(['ecdsa', 'ed25519'], {
          default: 'ecdsa',
          description: 'type of the snapshot and timestamp keys the server creates (ecdsa = P-256, as Docker Hub and ACR)',
        }),
        currentMaxAgeSeconds: Type.Integer({
          default: 0,
          minimum: 0,
          maximum: 31_536_000,
          description:
            'Cache-Control max-age of metadata fetched by role name (timestamp.json, root.json); 0 (no-cache) so that a new publish or revocation is seen at once; the reference uses 300 behind a CDN',
        }),
        consistentMaxAgeSeconds: Type.Integer({
          default: 2_592_000,
          minimum: 0,
          maximum: 31_536_000,
          description: 'Cache-Control max-age of metadata fetched by checksum or version (immutable bytes)',
        }),
        policy: Type.Enum(['disabled', 'enabled', 'enforced'], {
          default: 'disabled',
          description:
            "the registry's content trust policy at first start (later: wharf config content-trust update): disabled (no trust API, as ACR's default), enabled (trust API; everything served), enforced (only signed content served)",
        }),
      },
      section,
    ),
    registry: Type.Object(
      {
        name: Type.String({
          default: 'wharf',
          pattern: '^[A-Za-z0-9][A-Za-z0-9-]{3,48}[A-Za-z0-9]$',
          description:
            'registry name (5-50 letters, digits and inner hyphens): the admin account\'s user name and the last segment of the registry\'s resource id; fixed at first start',
        }),
      },
      section,
    ),
    auth: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description:
            'Docker token authentication on /v2 (registry and trust API), with the token endpoint /oauth2/token and the management API /api; the login server (token `service`) is the listen host:port, and the certificate names with that port are accepted too. false serves neither: anyone who reaches the port may pull, push, sign and delete, so only on a private network you trust entirely (docs/auth.md)',
        }),
        anonymousPull: Type.Boolean({ default: false, description: 'anonymous callers may pull every repository (and read trust data)' }),
        accessTokenSeconds: Type.Integer({ default: 900, minimum: 60, description: 'lifetime of access tokens (60 s is the Docker client minimum)' }),
        refreshTokenSeconds: Type.Integer({ default: 10_800, minimum: 60, description: 'lifetime of refresh tokens (POST password grant with access_type=offline)' }),
        ownerPassword: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "password of the 'owner' user (role Owner on the registry), created on first start only; default: a generated one printed once on stdout; never logged",
          }),
        ),
        ownerPasswordFile: Type.Optional(Type.String({ description: 'file holding auth.ownerPassword (surrounding whitespace ignored)' })),
      },
      section,
    ),
    import: Type.Object(
      {
        caFile: Type.Optional(
          Type.String({ description: 'PEM bundle of CAs trusted for import sources (wharf import) besides the system roots, e.g. a private registry\'s CA' }),
        ),
        insecureHosts: Type.Array(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$' }), {
          default: [],
          description:
            'import source host[:port]s whose TLS certificates are not verified (env: comma-separated); only for a test registry on a network you trust',
        }),
        maxManifests: Type.Integer({ default: 50, minimum: 1, maximum: 1000, description: 'manifests per import (an index, its children, referrers); ACR\'s limit is 50' }),
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
