import { WharfError } from '../../errors/wharf-error.ts';
import type { Page } from '../../storage/metadata-store.ts';

/**
 * Reads n/last; without n every entry is returned (as the reference does), n is capped at `max`.
 * `last` must pass `isValidLast` (the listed names' grammar), so that no bytes a database cannot
 * hold (NUL) reach it.
 */
export function pageOf(query: URLSearchParams, max: number, isValidLast: (last: string) => boolean): Page & { requested?: number } {
  const rawN = query.get('n');
  const last = query.get('last') ?? undefined;
  if (last !== undefined && !isValidLast(last)) {
    throw new WharfError('PAGINATION_NUMBER_INVALID', 'last is not a name this list could contain');
  }
  if (rawN === null) return { last, limit: Number.MAX_SAFE_INTEGER };
  if (!/^\d{1,9}$/.test(rawN)) throw new WharfError('PAGINATION_NUMBER_INVALID', `n must be a non-negative integer`);
  const n = Number(rawN);
  return { last, limit: Math.min(n, max), requested: n };
}

/** RFC 5988 Link to the next page, when the page was full. */
export function nextLink(path: string, page: Page, items: readonly string[]): string | undefined {
  if (page.limit === Number.MAX_SAFE_INTEGER || page.limit === 0 || items.length < page.limit) return undefined;
  const params = new URLSearchParams({ n: String(page.limit), last: items[items.length - 1]! });
  return `<${path}?${params.toString()}>; rel="next"`;
}
