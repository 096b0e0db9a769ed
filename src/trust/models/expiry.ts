/**
 * `expires` values (spec 11.2): RFC 3339 strings, kept byte-for-byte because they are signed.
 * A missing `expires` is Go's zero time, 0001-01-01T00:00:00Z (6.3 step 2).
 */
import { malformed } from './fields.ts';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$/;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

interface Parts {
  wall: Date;
  offsetMinutes: number;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): Date {
  const date = new Date(Date.UTC(2000, mo, d, h, mi, s, ms));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  return date;
}

function parse(text: string): Parts | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const wall = utc(y, mo - 1, d, h, mi, s, ms);
  // Round-trip the fields: Date silently normalises 2020-02-30 and 25:00.
  if (wall.getUTCFullYear() !== y || wall.getUTCMonth() !== mo - 1 || wall.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const offH = Number(m[10] ?? 0);
  const offM = Number(m[11] ?? 0);
  if (offH > 23 || offM > 59) return undefined;
  return { wall, offsetMinutes: (m[9] === '-' ? -1 : 1) * (offH * 60 + offM) };
}

export const ZERO_TIME = utc(1, 0, 1, 0, 0, 0);

/** The instant an `expires` string denotes; MALFORMED_JSON when it is not RFC 3339 (spec 6.3 step 0). */
export function parseExpires(text: string | undefined): Date {
  if (text === undefined) return new Date(ZERO_TIME);
  const parts = parse(text);
  if (!parts) malformed(`expires ${JSON.stringify(text)} is not RFC 3339`);
  return new Date(parts.wall.getTime() - parts.offsetMinutes * 60_000);
}

/**
 * Go's `Mon Jan 2 15:04:05 MST 2006` rendering used in "<role> expired at …" messages (6.3 step 1.6):
 * wall-clock time in the string's own offset, `UTC` for `Z`, `+hhmm` otherwise.
 */
export function formatExpiry(text: string | undefined): string {
  const parts = text === undefined ? { wall: ZERO_TIME, offsetMinutes: 0 } : parse(text);
  if (!parts) return String(text);
  const w = parts.wall;
  const pad = (n: number, size = 2) => String(n).padStart(size, '0');
  const off = parts.offsetMinutes;
  const zone = text === undefined || text.endsWith('Z') ? 'UTC' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${DAYS[w.getUTCDay()]} ${MONTHS[w.getUTCMonth()]} ${w.getUTCDate()} ${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())} ${zone} ${pad(w.getUTCFullYear(), 4)}`;
}

/** RFC 3339 UTC with milliseconds, for server-written `expires` (7.2 [R]: any RFC 3339 UTC form). */
export function toRfc3339(date: Date): string {
  return date.toISOString();
}
