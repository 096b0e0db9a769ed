import { search } from '@jmespath-community/jmespath';
import { stringify as yamlStringify } from 'yaml';
import { CliError } from './cli-error.ts';

/**
 * Printing command results the way the az CLI (knack) does, so that scripts written against
 * `az acr` keep working (shared/specs/access-and-policy.md 7).
 */
export const OUTPUT_FORMATS = ['json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Turns a command's result into a column layout for `-o table` (az's per-command table transformers). */
export type TableTransformer = (result: unknown) => unknown;

export interface RenderOptions {
  readonly format: OutputFormat;
  readonly query?: string;
  /** Applied for `-o table` only, and only without --query (as knack does). */
  readonly tableTransformer?: TableTransformer;
  /** ANSI colours for jsonc/yamlc; default on. */
  readonly color?: boolean;
}

/**
 * The text to print for a result. Objects are sorted by key before the query runs, so that the
 * objects a query builds (`{a: x, b: y}`) keep the order written while everything else is sorted:
 * table and tsv then only follow the order they are given, as knack's OrderedDict handling does.
 */
export function renderResult(result: unknown, opts: RenderOptions): string {
  let value = sortKeysDeep(result);
  if (opts.query !== undefined) value = runQuery(value, opts.query);
  switch (opts.format) {
    case 'json':
      return formatJson(value);
    case 'jsonc':
      return opts.color === false ? formatJson(value) : colorJson(formatJson(value));
    case 'yaml':
      return formatYaml(value);
    case 'yamlc':
      return opts.color === false ? formatYaml(value) : colorYaml(formatYaml(value));
    case 'table':
      return formatTable(opts.query === undefined && opts.tableTransformer ? opts.tableTransformer(value) : value);
    case 'tsv':
      return formatTsv(value);
    case 'none':
      return '';
  }
}

export function parseOutputFormat(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new CliError('usage', `--output must be one of ${OUTPUT_FORMATS.join(', ')} (got '${value}')`);
}

function runQuery(value: unknown, query: string): unknown {
  try {
    // The library's JSONValue type is structural; our values are plain JSON.
    return search(value as Parameters<typeof search>[0], query);
  } catch (err) {
    throw new CliError('usage', `invalid --query '${query}': ${(err as Error).message.split('\n')[0]}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isObject(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareKeys)) sorted[key] = sortKeysDeep(value[key]);
  return sorted;
}

/** Python's sort_keys order: by code point, not by locale. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** json.dumps(indent=2, sort_keys=True, ensure_ascii=False) plus a newline; JSON.stringify never escapes non-ASCII. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(sortKeysDeep(value) ?? null, null, 2)}\n`;
}

/**
 * yaml.safe_dump(default_flow_style=False, allow_unicode=True): block style, sorted keys, list items
 * not indented, and YAML 1.1 like PyYAML, so that strings such as timestamps, `yes` or `on` are quoted.
 */
export function formatYaml(value: unknown): string {
  return yamlStringify(sortKeysDeep(value) ?? null, { version: '1.1', singleQuote: true, indentSeq: false, lineWidth: 0, sortMapEntries: true });
}

const ANSI = { key: '\u001b[94m', string: '\u001b[32m', literal: '\u001b[36m', reset: '\u001b[0m' };

function colorJson(text: string): string {
  return text.replace(/("(?:[^"\\]|\\.)*")(\s*:)?|\b(?:true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g, (match, str: string | undefined, colon: string | undefined) => {
    if (str !== undefined) return colon === undefined ? `${ANSI.string}${str}${ANSI.reset}` : `${ANSI.key}${str}${ANSI.reset}${colon}`;
    return `${ANSI.literal}${match}${ANSI.reset}`;
  });
}

function colorYaml(text: string): string {
  return text.replace(/^(\s*(?:- )*)([^\s:#-][^:\n]*?):(?=\s|$)/gm, (_m, indent: string, key: string) => `${indent}${ANSI.key}${key}${ANSI.reset}:`);
}

const TABLE_SKIPPED_KEYS = new Set(['id', 'type', 'etag']);

/**
 * knack's automatic table: one row per list item, a column per top-level scalar (keys id, type
 * and etag, nulls and nested values left out), headers with a capital first letter; scalars
 * become a `Result` column and lists `Column1…`. Laid out as tabulate's "simple" format.
 */
export function formatTable(value: unknown): string {
  const rows = (Array.isArray(value) ? value : [value]).map(tableRow);
  const headers: string[] = [];
  for (const row of rows) for (const key of row.keys()) if (!headers.includes(key)) headers.push(key);
  if (headers.length === 0) return '';
  const cells = rows.map((row) => headers.map((h) => row.get(h) ?? ''));
  // tabulate's MIN_PADDING: a column is at least its header plus two wide.
  const widths = headers.map((h, i) => Math.max(h.length + 2, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

function tableRow(item: unknown): Map<string, string> {
  const row = new Map<string, string>();
  if (isObject(item)) {
    for (const [key, v] of Object.entries(item)) {
      if (TABLE_SKIPPED_KEYS.has(key) || v === null || v === undefined || typeof v === 'object') continue;
      row.set(key.charAt(0).toUpperCase() + key.slice(1), tableCell(v));
    }
  } else if (Array.isArray(item)) {
    item.forEach((v, i) => row.set(`Column${i + 1}`, tableCell(v)));
  } else {
    row.set('Result', tableCell(item));
  }
  return row;
}

/** str() of a Python value, as tabulate prints it. */
function tableCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * knack's tsv: one line per list item; an object's values in key order, a list's in order,
 * nested lists as their length and nested objects as an empty field; booleans lower-case, null empty.
 */
export function formatTsv(value: unknown): string {
  return (Array.isArray(value) ? value : [value]).map((item) => `${tsvRow(item)}\n`).join('');
}

function tsvRow(item: unknown): string {
  if (isObject(item)) return Object.values(item).map(tsvField).join('\t');
  if (Array.isArray(item)) return item.map(tsvField).join('\t');
  return tsvField(item);
}

function tsvField(value: unknown): string {
  if (Array.isArray(value)) return String(value.length);
  if (isObject(value) || value === null || value === undefined) return '';
  return String(value);
}
