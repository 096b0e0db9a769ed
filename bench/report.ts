import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ServerRole } from './servers.ts';

const ROLES: readonly ServerRole[] = ['wharf', 'reference'];

/** One row of the table: a measurement taken on both servers. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly isLowerBetter: boolean;
  readonly values: Partial<Record<ServerRole, number>>;
  readonly errors: Partial<Record<ServerRole, string>>;
}

/** A further table with its own column names (e.g. one Wharf with auth on, one with auth off). */
interface Table {
  readonly title: string;
  readonly columns: Readonly<Record<ServerRole, string>>;
  readonly figures: Figure[];
}

const MAIN_COLUMNS: Readonly<Record<ServerRole, string>> = { wharf: 'wharf', reference: 'reference' };

/** Collects figures in order and renders them as markdown tables: the main one, then any further ones. */
export class Report {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];
  readonly #tables: Table[] = [];

  /** Adds a row; `unit` is shown in the name column. */
  figure(name: string, unit: string, isLowerBetter = false): Figure {
    const figure: Figure = { name, unit, isLowerBetter, values: {}, errors: {} };
    this.figures.push(figure);
    return figure;
  }

  /** A further table, rendered after the main one; its rows are added with the returned function. */
  table(title: string, columns: Readonly<Record<ServerRole, string>>): (name: string, unit: string, isLowerBetter?: boolean) => Figure {
    const table: Table = { title, columns, figures: [] };
    this.#tables.push(table);
    return (name, unit, isLowerBetter = false) => {
      const figure: Figure = { name, unit, isLowerBetter, values: {}, errors: {} };
      table.figures.push(figure);
      return figure;
    };
  }

  /** Every error recorded, as "figure / server: message". */
  errors(): string[] {
    return [...this.figures, ...this.#tables.flatMap((t) => t.figures)].flatMap((f) =>
      ROLES.flatMap((role) => (f.errors[role] === undefined ? [] : [`${f.name} / ${role}: ${f.errors[role]}`])));
  }

  /** The tables (with a header paragraph and the error list) in markdown. */
  render(header: readonly string[]): string {
    const lines = [...header, ''];
    if (this.figures.length > 0) lines.push(...tableLines(this.figures, MAIN_COLUMNS));
    for (const table of this.#tables) lines.push('', `### ${table.title}`, '', ...tableLines(table.figures, table.columns));
    const errors = this.errors();
    if (errors.length > 0) lines.push('', '### Errors', '', ...errors.map((e) => `- ${e.replace(/\s+/g, ' ')}`));
    if (this.notes.length > 0) lines.push('', '### Notes', '', ...this.notes.map((n) => `- ${n}`));
    return `${lines.join('\n')}\n`;
  }
}

function tableLines(figures: readonly Figure[], columns: Readonly<Record<ServerRole, string>>): string[] {
  const lines = [`| figure | ${columns.wharf} | ${columns.reference} | ratio ${columns.wharf}/${columns.reference} |`, '|---|---:|---:|---:|'];
  for (const f of figures) {
    const cells = ROLES.map((role) => cell(f, role));
    const wharf = f.values.wharf;
    const reference = f.values.reference;
    const ratio = wharf !== undefined && reference !== undefined && reference > 0 ? `${(wharf / reference).toFixed(2)}` : '–';
    const hint = f.isLowerBetter ? ', lower is better' : '';
    lines.push(`| ${f.name} (${f.unit}${hint}) | ${cells[0]} | ${cells[1]} | ${ratio} |`);
  }
  return lines;
}

function cell(f: Figure, role: ServerRole): string {
  if (f.errors[role] !== undefined) return 'error';
  const value = f.values[role];
  return value === undefined ? '–' : formatNumber(value);
}

/** Three significant figures or so, never scientific. */
export function formatNumber(value: number): string {
  if (value >= 100) return Math.round(value).toString();
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Writes the rendered report, creating the directory. */
export async function writeReport(path: string, markdown: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, markdown);
}
