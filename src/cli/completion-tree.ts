import type { Command } from 'commander';

/** An option as completion sees it: its flags, whether it takes a value, and which values. */
export interface CompletionOption {
  /** `-n`, `--name` (short first). */
  readonly flags: readonly string[];
  readonly description: string;
  readonly takesValue: boolean;
  /** Fixed values (commander `.choices()`). */
  readonly choices?: readonly string[];
  /** The value is a path (`<file>` or `<dir>` in the flags). */
  readonly isPath: boolean;
}

/** One command of the tree: its path below `wharf` ('' for wharf itself), subcommands and options. */
export interface CompletionNode {
  readonly path: string;
  readonly subcommands: readonly { readonly name: string; readonly description: string }[];
  readonly options: readonly CompletionOption[];
  /** Fixed values of its positional arguments (`wharf completion <shell>`). */
  readonly argumentChoices: readonly string[];
}

const HELP: CompletionOption = { flags: ['-h', '--help'], description: 'display help for command', takesValue: false, isPath: false };

/** Every command under `program`, depth first, read from commander's own tree. */
export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (cmd: Command, path: string) => {
    const visible = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    nodes.push({
      path,
      subcommands: visible.map((c) => ({ name: c.name(), description: c.description() })),
      options: [...cmd.options.filter((o) => !o.hidden).map((o): CompletionOption => ({
        flags: [o.short, o.long].filter((f): f is string => f !== undefined),
        description: o.description,
        takesValue: o.required || o.optional,
        ...(o.argChoices !== undefined && { choices: o.argChoices }),
        isPath: /<(file|dir)>/.test(o.flags),
      })), HELP],
      argumentChoices: cmd.registeredArguments.flatMap((a) => a.argChoices ?? []),
    });
    for (const c of visible) visit(c, path === '' ? c.name() : `${path} ${c.name()}`);
  };
  visit(program, '');
  return nodes;
}
