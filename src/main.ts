import { ConfigError, loadConfig } from './config/config.js';
import type { CliCommand, CliContext } from './cli/types.js';

/** `chartkey <command> [args]`: each command lives in src/cli/<command>.ts and is loaded on demand. */
const COMMANDS: Record<string, () => Promise<{ default: CliCommand }>> = {
  serve: () => import('./cli/serve.js'),
  migrate: () => import('./cli/migrate.js'),
  import: () => import('./cli/import.js'),
  generate: () => import('./cli/generate.js'),
  staff: () => import('./cli/staff.js'),
  portal: () => import('./cli/portal.js'),
  app: () => import('./cli/app.js'),
  keys: () => import('./cli/keys.js'),
  group: () => import('./cli/group.js'),
  backup: () => import('./cli/backup.js'),
  restore: () => import('./cli/restore.js'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`Usage: chartkey <command> [options]\n\nCommands: ${Object.keys(COMMANDS).join(', ')}\nRun chartkey <command> --help for a command's options.\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`chartkey: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return 2;
  }
  let ctx: CliContext;
  try {
    ctx = { config: loadConfig(), stdout: process.stdout, stderr: process.stderr, interactive: Boolean(process.stderr.isTTY) };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chartkey: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const command = (await load()).default;
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }
  return command.run(args, ctx);
}

main(process.argv.slice(2)).then(
  (code) => {
    // serve keeps the process alive itself; other commands end here.
    if (code !== -1) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`chartkey: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
