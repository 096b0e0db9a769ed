import { WharfError } from '../errors/wharf-error.ts';

/**
 * Parses a multipart/form-data publish body into filename → exact part bytes (spec 6.1). Written by
 * hand on purpose: common parsers strip directories from filenames, and a delegation's filename
 * (`targets/releases`) must arrive whole. Errors: MALFORMED_UPLOAD (not multipart, malformed,
 * duplicate role), NO_FILENAME (a part without one).
 */
export function parseMultipart(contentType: string | undefined, body: Buffer): Map<string, Buffer> {
  const boundary = boundaryOf(contentType);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts = new Map<string, Buffer>();
  let cursor = body.indexOf(delimiter);
  if (cursor === -1) {
    if (body.length === 0) return parts;
    throw new WharfError('MALFORMED_UPLOAD');
  }
  for (;;) {
    cursor += delimiter.length;
    if (body.subarray(cursor, cursor + 2).toString() === '--') return parts;
    cursor = skipLineBreak(body, cursor);
    const next = body.indexOf(delimiter, cursor);
    if (next === -1) throw new WharfError('MALFORMED_UPLOAD', 'multipart body has no closing boundary');
    const { name, content } = parsePart(body.subarray(cursor, trimLineBreak(body, cursor, next)));
    if (parts.has(name)) throw new WharfError('MALFORMED_UPLOAD', `role ${name} appears twice`, { detail: name });
    parts.set(name, content);
    cursor = next;
  }
}

function boundaryOf(contentType: string | undefined): string {
  const match = /^multipart\/form-data\s*;(.*)$/i.exec(contentType?.trim() ?? '');
  const boundary = match && /(?:^|;)\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(match[1]!);
  const value = boundary?.[1] ?? boundary?.[2];
  if (!value) throw new WharfError('MALFORMED_UPLOAD');
  return value;
}

/** A part: headers, a blank line, the content. Only Content-Disposition's filename matters. */
function parsePart(part: Buffer): { name: string; content: Buffer } {
  let end = part.indexOf('\r\n\r\n');
  let gap = 4;
  if (end === -1) {
    end = part.indexOf('\n\n');
    gap = 2;
  }
  if (end === -1) throw new WharfError('MALFORMED_UPLOAD', 'multipart part has no header section');
  const headers = part.subarray(0, end).toString('utf8').split(/\r?\n/);
  const disposition = headers.find((h) => /^content-disposition\s*:/i.test(h)) ?? '';
  const filename = /;\s*filename="((?:[^"\\]|\\.)*)"/i.exec(disposition)?.[1] ?? /;\s*filename=([^;\s"]+)/i.exec(disposition)?.[1];
  if (filename === undefined || filename === '') throw new WharfError('NO_FILENAME');
  return { name: filename.replace(/\\(.)/g, '$1'), content: part.subarray(end + gap) };
}

function skipLineBreak(body: Buffer, at: number): number {
  if (body[at] === 0x0d && body[at + 1] === 0x0a) return at + 2;
  if (body[at] === 0x0a) return at + 1;
  return at;
}

/** The content ends before the line break that precedes the next boundary. */
function trimLineBreak(body: Buffer, start: number, end: number): number {
  if (end - 2 >= start && body[end - 2] === 0x0d && body[end - 1] === 0x0a) return end - 2;
  if (end - 1 >= start && body[end - 1] === 0x0a) return end - 1;
  return end;
}
