import Type from 'typebox';

/** One audit record as the API shows it (docs/audit.md): `time` is the hashed millisecond time in ISO form. */
export const AuditRecordView = Type.Object({
  seq: Type.Integer(),
  time: Type.String({ description: 'ISO 8601 UTC with milliseconds; the hash covers Date.parse(time)' }),
  action: Type.String(),
  actor: Type.String({ description: "login name; '' for anonymous" }),
  repository: Type.String(),
  subject: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
  prevHash: Type.String(),
  hash: Type.String(),
});

export const AuditQueryParams = Type.Object(
  {
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "exact action, or a prefix ending in '.' (image.)" })),
    repository: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    since: Type.Optional(Type.String({ description: 'RFC 3339 date-time, inclusive' })),
    until: Type.Optional(Type.String({ description: 'RFC 3339 date-time, inclusive' })),
    top: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$', description: 'at most this many records, newest first (default 100, at most 1000)' })),
    before: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'only records with a smaller seq (the next page)' })),
  },
  { additionalProperties: false },
);

export const ChainVerdictView = Type.Object({
  isValid: Type.Boolean(),
  records: Type.Integer({ description: 'records checked' }),
  headSeq: Type.Integer(),
  headHash: Type.String({ description: 'keep it elsewhere: a later verify whose chain does not contain it means the log was rewritten' }),
  firstInvalidSeq: Type.Optional(Type.Integer()),
  problem: Type.Optional(Type.String()),
});
