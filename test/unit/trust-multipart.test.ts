import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMultipart } from '../../src/trust/multipart.ts';
import { WharfError } from '../../src/errors/wharf-error.ts';

const VECTOR = new URL('../../../shared/specs/notary-vectors/publish-targets-releases.multipart', import.meta.url);
const VECTOR_TYPE = 'multipart/form-data; boundary=65e7cdcc119ebff99f86ecb6afcd31fe36b2d041a497d7bc30f523adac52';
const code = (c: string) => (e: unknown) => e instanceof WharfError && e.code === c;

function body(boundary: string, parts: [string | undefined, string][]): Buffer {
  const chunks = parts.map(([name, content]) => {
    const filename = name === undefined ? '' : `; filename="${name}"`;
    return `--${boundary}\r\nContent-Disposition: form-data; name="files"${filename}\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n`;
  });
  return Buffer.from(`${chunks.join('')}--${boundary}--\r\n`);
}

describe('parseMultipart', () => {
  it('keeps a delegation filename whole and the part bytes exact (the notary CLI vector)', () => {
    const parts = parseMultipart(VECTOR_TYPE, readFileSync(VECTOR));
    assert.deepEqual([...parts.keys()], ['targets/releases']);
    const content = parts.get('targets/releases')!;
    assert.equal(content.length, 529);
    assert.ok(content.toString().startsWith('{"signed":{"_type":"Targets"'));
  });
  it('reads several parts, with content containing CRLF and dashes', () => {
    const parts = parseMultipart('multipart/form-data; boundary=xyz', body('xyz', [['root', 'a\r\n--b'], ['targets.json', '{}']]));
    assert.deepEqual(parts.get('root')!.toString(), 'a\r\n--b');
    assert.deepEqual(parts.get('targets.json')!.toString(), '{}');
  });
  it('answers an empty body with no parts', () => {
    assert.equal(parseMultipart('multipart/form-data; boundary=xyz', Buffer.alloc(0)).size, 0);
  });
  it('refuses a body that is not multipart, a part without filename, and duplicate roles', () => {
    assert.throws(() => parseMultipart('application/json', Buffer.from('{}')), code('MALFORMED_UPLOAD'));
    assert.throws(() => parseMultipart('multipart/form-data; boundary=xyz', Buffer.from('garbage')), code('MALFORMED_UPLOAD'));
    assert.throws(() => parseMultipart('multipart/form-data; boundary=xyz', body('xyz', [[undefined, '{}']])), code('NO_FILENAME'));
    assert.throws(() => parseMultipart('multipart/form-data; boundary=xyz', body('xyz', [['root', '{}'], ['root', '{}']])), code('MALFORMED_UPLOAD'));
  });
});
