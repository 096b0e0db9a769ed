/** A minimal ustar writer and reader: enough for hand-made image layers and docker archives. */

export interface TarEntry {
  /** Path inside the archive; a trailing '/' makes a directory. Under 100 bytes. */
  name: string;
  data?: Buffer;
  mode?: number;
}

const BLOCK = 512;

/** Packs entries into a tar stream with fixed owner and mtime, so equal input gives equal bytes. */
export function packTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const isDir = entry.name.endsWith('/');
    const data = isDir ? Buffer.alloc(0) : (entry.data ?? Buffer.alloc(0));
    parts.push(header(entry.name, data.length, entry.mode ?? (isDir ? 0o755 : 0o644), isDir ? '5' : '0'));
    parts.push(data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function header(name: string, size: number, mode: number, type: string): Buffer {
  if (Buffer.byteLength(name) >= 100) throw new Error(`tar name too long: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 'utf8');
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(1_700_000_000, 12), 136);
  h.fill(' ', 148, 156);
  h.write(type, 156);
  h.write('ustar\u000000', 257, 'binary');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\u0000';
}

/** Regular files of a tar stream by name (directories, links and PAX headers are skipped). */
export function unpackTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let pos = 0;
  let longName: string | undefined;
  while (pos + BLOCK <= tar.length) {
    const h = tar.subarray(pos, pos + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(h.toString('latin1', 124, 136).replace(/\0.*$/, '').trim() || '0', 8);
    const type = h.toString('latin1', 156, 157);
    const prefix = h.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    const short = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const data = tar.subarray(pos + BLOCK, pos + BLOCK + size);
    pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    const name = longName ?? (prefix ? `${prefix}/${short}` : short);
    longName = undefined;
    if (type === '0' || type === '\0') files.set(name, Buffer.from(data));
  }
  return files;
}
