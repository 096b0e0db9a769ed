import { ConfigSchema } from './schema.ts';

interface SchemaNode {
  type?: string;
  default?: unknown;
  description?: string;
  enum?: unknown[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
}

/** docs/configuration.md, written from the schema so that the two cannot drift apart. */
export function configurationReference(): string {
  const rows: string[] = [];
  const walk = (node: SchemaNode, path: string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const here = [...path, key];
      if (child.properties) {
        walk(child, here);
        continue;
      }
      const env = `WHARF_${here.map((k) => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()).join('__')}`;
      const scalar = child.type === 'array' ? `${child.items?.type ?? 'string'}[]` : (child.type ?? 'string');
      const type = child.enum ? child.enum.join(' \\| ') : scalar;
      const def = child.default === undefined ? '' : `\`${JSON.stringify(child.default)}\``;
      rows.push(`| \`${here.join('.')}\` | \`${env}\` | ${type} | ${def} | ${child.description ?? ''} |`);
    }
  };
  walk(ConfigSchema as unknown as SchemaNode, []);
  return [
    '# Configuration reference',
    '',
    'Precedence: defaults < `wharf.yaml` (or the file named by `--config` / `WHARF_CONFIG`) < `WHARF_*`',
    'environment variables < command-line flags (`--listen`, `--data`, `--metadata`, `--no-tls`,',
    '`--tls-cert`, `--tls-key`, `--log-level`). Unknown keys are rejected; every problem is listed at',
    'once; `wharf check-config` validates without serving. This file is generated from',
    '`src/config/schema.ts` by `npm run docs:config`.',
    '',
    '| setting | environment | type | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
