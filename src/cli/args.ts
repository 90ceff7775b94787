/** Minimal flag parsing shared by the commands: `--name value`, `--name=value`, `--flag`, positionals. */
export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
  /** Every value of a repeatable option, in order (`--redirect-uri A --redirect-uri B`). */
  lists: Map<string, string[]>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(args: string[], valued: readonly string[], booleans: readonly string[] = [], repeatable: readonly string[] = []): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  const lists = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (booleans.includes(name)) {
      flags.set(name, true);
    } else if (valued.includes(name) || repeatable.includes(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (repeatable.includes(name)) lists.set(name, [...(lists.get(name) ?? []), value]);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { flags, positionals, lists };
}
