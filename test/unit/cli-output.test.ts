import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/cli-error.ts';
import { renderResult } from '../../src/cli/output.ts';

const registry = {
  type: 'Wharf.ContainerRegistry/registries',
  name: 'wharf',
  id: '/subscriptions/1/resourceGroups/default/providers/Wharf.ContainerRegistry/registries/wharf',
  adminUserEnabled: false,
  sku: { tier: 'Premium', name: 'Premium' },
  tags: {},
  loginServer: 'höst.example:5443',
  creationDate: null,
};

const render = (value: unknown, format: Parameters<typeof renderResult>[1]['format'], query?: string) =>
  renderResult(value, { format, query, color: false });

describe('CLI output (az/knack formats)', () => {
  it('json: 2-space indent, keys sorted at every depth, non-ASCII as is, trailing newline', () => {
    assert.equal(render(registry, 'json'), [
      '{',
      '  "adminUserEnabled": false,',
      '  "creationDate": null,',
      '  "id": "/subscriptions/1/resourceGroups/default/providers/Wharf.ContainerRegistry/registries/wharf",',
      '  "loginServer": "höst.example:5443",',
      '  "name": "wharf",',
      '  "sku": {',
      '    "name": "Premium",',
      '    "tier": "Premium"',
      '  },',
      '  "tags": {},',
      '  "type": "Wharf.ContainerRegistry/registries"',
      '}',
      '',
    ].join('\n'));
  });

  it('json sorts even the objects a query builds; a scalar result is printed as JSON', () => {
    assert.equal(render(registry, 'json', '{z: name, a: adminUserEnabled}'), '{\n  "a": false,\n  "z": "wharf"\n}\n');
    assert.equal(render(registry, 'json', 'name'), '"wharf"\n');
    assert.equal(render(registry, 'json', 'missing'), 'null\n');
  });

  it('jsonc colours keys and values but prints the same text', () => {
    const colored = renderResult({ b: 'x', a: 1 }, { format: 'jsonc', color: true });
    assert.match(colored, /\u001b\[/);
    assert.equal(colored.replace(/\u001b\[\d+m/g, ''), render({ b: 'x', a: 1 }, 'json'));
  });

  it('tsv: an object as its values in key order, booleans lower-case, nested list as its length, nested object and null empty', () => {
    assert.equal(render(registry, 'tsv', 'id'), `${registry.id}\n`);
    assert.equal(render({ b: true, a: 'x', c: [1, 2, 3], d: { e: 1 }, f: null }, 'tsv'), 'x\ttrue\t3\t\t\n');
    assert.equal(render([{ n: 'a', v: false }, { n: 'b', v: true }], 'tsv'), 'a\tfalse\nb\ttrue\n');
    assert.equal(render(['x', 'y'], 'tsv'), 'x\ny\n');
    assert.equal(render(true, 'tsv'), 'true\n');
  });

  it('tsv keeps the order a query multiselect wrote', () => {
    assert.equal(render(registry, 'tsv', '{z: name, a: adminUserEnabled}'), 'wharf\tfalse\n');
    assert.equal(render(registry, 'tsv', '[[name, loginServer]]'), 'wharf\thöst.example:5443\n');
    // A list at the top is one line per item, as in az.
    assert.equal(render(registry, 'tsv', '[name, loginServer]'), 'wharf\nhöst.example:5443\n');
  });

  it('table: capitalised headers, id/type/etag, nulls and nested values left out, tabulate "simple" layout', () => {
    assert.equal(render(registry, 'table'), [
      'AdminUserEnabled    LoginServer        Name',
      '------------------  -----------------  ------',
      'False               höst.example:5443  wharf',
      '',
    ].join('\n'));
  });

  it('table: rows from a list, columns in first-seen order, scalars as Result', () => {
    assert.equal(render([{ name: 'a', extra: 'x' }, { name: 'bb', other: 1 }], 'table'), [
      'Extra    Name    Other',
      '-------  ------  -------',
      'x        a',
      '         bb      1',
      '',
    ].join('\n'));
    assert.equal(render(['v1', 'v2'], 'table'), 'Result\n--------\nv1\nv2\n');
    assert.equal(render([], 'table'), '');
  });

  it('table: a table transformer shapes the columns, unless --query is given', () => {
    const transformer = (rows: unknown) => (rows as { name: string }[]).map((r) => ({ NAME: r.name, 'CREATION DATE': '2026' }));
    const out = renderResult([{ name: 'm' }], { format: 'table', tableTransformer: transformer, color: false });
    assert.equal(out, 'NAME    CREATION DATE\n------  ---------------\nm       2026\n');
    const queried = renderResult([{ name: 'm' }], { format: 'table', query: '[].name', tableTransformer: transformer, color: false });
    assert.equal(queried, 'Result\n--------\nm\n');
  });

  it('yaml: block style, sorted keys, sequence items not indented (PyYAML safe_dump)', () => {
    assert.equal(render({ b: [{ w: 1, v: 'é' }], a: true }, 'yaml'), 'a: true\nb:\n- v: é\n  w: 1\n');
    // YAML 1.1 readers would take these for a timestamp and a boolean.
    assert.equal(render({ at: '2026-11-28T10:00:00.000000+00:00', s: 'yes' }, 'yaml'), "at: '2026-11-28T10:00:00.000000+00:00'\ns: 'yes'\n");
  });

  it('none prints nothing', () => {
    assert.equal(render(registry, 'none'), '');
  });

  it('an invalid query is a usage error', () => {
    assert.throws(() => render(registry, 'json', '[?'), (err: unknown) => err instanceof CliError && err.kind === 'usage' && /invalid --query/.test(err.message));
  });

  it('supports JMESPath filters and functions as az users write them', () => {
    const tokens = [{ name: 'a', status: 'enabled' }, { name: 'b', status: 'disabled' }, { name: 'c', status: 'enabled' }];
    assert.equal(render(tokens, 'tsv', "[?status=='enabled'].name"), 'a\nc\n');
    assert.equal(render(tokens, 'tsv', 'length(@)'), '3\n');
    assert.equal(render(tokens, 'json', 'sort_by(@, &status)[0].name'), '"b"\n');
  });
});
