import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { forEachBackend, type BackendContext } from '../helpers/backends.ts';
import { expectError, jsonOf, pushImage, pushManifest, uniqueRepo } from '../helpers/oci.ts';

interface TagList {
  name: string;
  tags: string[];
}

/** Parses `Link: <url>; rel="next"` into the path of the next page, or undefined. */
function nextLink(res: { headers: { get(name: string): string | null } }): string | undefined {
  const link = res.headers.get('link');
  if (link === null) return undefined;
  const match = /^<([^>]+)>;\s*rel="next"$/.exec(link.trim());
  assert.ok(match, `malformed Link header: ${link}`);
  const url = new URL(match[1]!, 'http://registry.invalid');
  return url.pathname + url.search;
}

/** Lexical (byte) order, as the spec and the reference registry sort. */
function lexical(values: readonly string[]): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function pageThrough<T>(ctx: BackendContext, first: string, items: (body: T) => string[]): Promise<string[][]> {
  const pages: string[][] = [];
  let path: string | undefined = first;
  while (path !== undefined) {
    assert.ok(pages.length < 100, 'pagination does not terminate');
    const res = await ctx.registry.fetch(path);
    pages.push(items(await jsonOf<T>(res)));
    path = nextLink(res);
  }
  return pages;
}

// distribution-spec "Listing Tags" and the catalog extension (GET /v2/_catalog).
forEachBackend('content discovery', (ctx) => {
  describe('GET /v2/<name>/tags/list', () => {
    const repo = uniqueRepo('tags');
    // Deliberately unsorted, mixed case and punctuation to pin the lexical order.
    const TAGS = ['v2', 'latest', 'V1', 'v10', 'a_b', 'a.b', 'a-b', 'ab', 'A', '1.0', '1-0', 'z', '_x'];
    before(async () => {
      const image = await pushImage(ctx.registry, repo);
      for (const tag of TAGS) await pushManifest(ctx.registry, repo, tag, image.manifest);
    });

    it('lists every tag, sorted lexically, under the repository name', async () => {
      const body = await jsonOf<TagList>(await ctx.registry.fetch(`/v2/${repo}/tags/list`));
      assert.equal(body.name, repo);
      assert.deepEqual(body.tags, lexical(TAGS));
    });

    it('limits a page with ?n= and links to the next page', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/tags/list?n=2`);
      const body = await jsonOf<TagList>(res);
      const expected = lexical(TAGS).slice(0, 2);
      assert.deepEqual(body.tags, expected);
      const next = nextLink(res);
      assert.ok(next, 'Link header');
      const url = new URL(next, 'http://registry.invalid');
      assert.equal(url.pathname, `/v2/${repo}/tags/list`);
      assert.equal(url.searchParams.get('n'), '2');
      assert.equal(url.searchParams.get('last'), expected[1]);
    });

    it('pages through all tags by following Link', async () => {
      const pages = await pageThrough<TagList>(ctx, `/v2/${repo}/tags/list?n=3`, (b) => b.tags);
      assert.deepEqual(pages.flat(), lexical(TAGS));
      assert.ok(pages.slice(0, -1).every((p) => p.length === 3));
      assert.ok(pages.length >= 3);
    });

    it('starts after ?last=', async () => {
      const sorted = lexical(TAGS);
      const body = await jsonOf<TagList>(await ctx.registry.fetch(`/v2/${repo}/tags/list?last=${encodeURIComponent(sorted[3]!)}`));
      assert.deepEqual(body.tags, sorted.slice(4));
    });

    it('combines ?n= and ?last=', async () => {
      const sorted = lexical(TAGS);
      const body = await jsonOf<TagList>(await ctx.registry.fetch(`/v2/${repo}/tags/list?n=2&last=${encodeURIComponent(sorted[1]!)}`));
      assert.deepEqual(body.tags, sorted.slice(2, 4));
    });

    it('answers ?last= past the end with an empty list and no Link', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/tags/list?last=zzzz`);
      const body = await jsonOf<TagList>(res);
      assert.deepEqual(body.tags, []);
      assert.equal(res.headers.get('link'), null);
    });

    it('answers ?n=0 with an empty list', async () => {
      const body = await jsonOf<TagList>(await ctx.registry.fetch(`/v2/${repo}/tags/list?n=0`));
      assert.deepEqual(body.tags, []);
    });

    it('ends pagination once the page holds the rest', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/tags/list?n=${TAGS.length}`);
      assert.equal((await jsonOf<TagList>(res)).tags.length, TAGS.length);
      // A registry may not know that nothing follows a full page; then the next page is empty.
      const next = nextLink(res);
      if (next !== undefined) {
        const after = await ctx.registry.fetch(next);
        assert.deepEqual((await jsonOf<TagList>(after)).tags ?? [], []);
        assert.equal(after.headers.get('link'), null);
      }
    });

    it('returns every tag for a large ?n=', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/tags/list?n=10000`);
      assert.deepEqual((await jsonOf<TagList>(res)).tags, lexical(TAGS));
      assert.equal(res.headers.get('link'), null);
    });

    it('sends no Link on a page shorter than n', async () => {
      const res = await ctx.registry.fetch(`/v2/${repo}/tags/list?n=${TAGS.length + 1}`);
      assert.equal((await jsonOf<TagList>(res)).tags.length, TAGS.length);
      assert.equal(res.headers.get('link'), null);
    });

    for (const n of ['-1', 'abc', '1.5']) {
      it(`rejects ?n=${n} with 400 PAGINATION_NUMBER_INVALID`, async () => {
        await expectError(await ctx.registry.fetch(`/v2/${repo}/tags/list?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
      });
    }

    it('answers an unknown repository with 404 NAME_UNKNOWN', async () => {
      await expectError(await ctx.registry.fetch(`/v2/${uniqueRepo('absent')}/tags/list`), 404, 'NAME_UNKNOWN');
    });

    it('lists an untagged repository with an empty list', async () => {
      const untagged = uniqueRepo('tags');
      await pushImage(ctx.registry, untagged);
      const body = await jsonOf<TagList>(await ctx.registry.fetch(`/v2/${untagged}/tags/list`));
      assert.equal(body.name, untagged);
      assert.deepEqual(body.tags ?? [], []);
    });
  });

  describe('GET /v2/_catalog', () => {
    const prefix = uniqueRepo('catalog');
    // Punctuation sorts by byte ('-' < '.' < '/' < '_' < letters), not by a locale's collation.
    const NAMES = ['b', 'a/x', 'a', 'c/d/e', 'a-b', 'a.b', 'a_b', 'ab', 'a/x/y', 'a--b'].map((n) => `${prefix}/${n}`);
    before(async () => {
      for (const name of NAMES) await pushImage(ctx.registry, name, { reference: 'latest' });
    });

    async function catalog(query = ''): Promise<string[]> {
      return (await jsonOf<{ repositories: string[] }>(await ctx.registry.fetch(`/v2/_catalog${query}`))).repositories;
    }

    it('lists repositories, sorted, including names with several components', async () => {
      const repositories = await catalog();
      assert.deepEqual(repositories, lexical(repositories));
      assert.deepEqual(repositories.filter((r) => r.startsWith(`${prefix}/`)), lexical(NAMES));
    });

    it('limits with ?n= and links the next page with n and last', async () => {
      const all = await catalog();
      const res = await ctx.registry.fetch('/v2/_catalog?n=2');
      const body = await jsonOf<{ repositories: string[] }>(res);
      assert.deepEqual(body.repositories, all.slice(0, 2));
      const next = nextLink(res);
      assert.ok(next, 'Link header');
      const url = new URL(next, 'http://registry.invalid');
      assert.equal(url.pathname, '/v2/_catalog');
      assert.equal(url.searchParams.get('n'), '2');
      assert.equal(url.searchParams.get('last'), all[1]);
    });

    it('pages through every repository by following Link', async () => {
      const all = await catalog();
      const pages = await pageThrough<{ repositories: string[] }>(ctx, '/v2/_catalog?n=2', (b) => b.repositories);
      assert.deepEqual(pages.flat(), all);
    });

    it('starts after ?last=', async () => {
      const all = await catalog();
      const body = await catalog(`?last=${encodeURIComponent(lexical(NAMES)[1]!)}`);
      assert.deepEqual(body, all.slice(all.indexOf(lexical(NAMES)[1]!) + 1));
    });

    it('answers ?n=0 with an empty list', async () => {
      assert.deepEqual(await catalog('?n=0'), []);
    });

    it('rejects ?n=-1 with 400 PAGINATION_NUMBER_INVALID', async () => {
      await expectError(await ctx.registry.fetch('/v2/_catalog?n=-1'), 400, 'PAGINATION_NUMBER_INVALID');
    });
  });
});
