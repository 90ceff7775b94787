import { BackupError, restoreSqlite, sqliteFile } from '../ops/backup.js';
import { parseArgs, UsageError } from './args.js';
import type { CliCommand } from './types.js';

/** `chartkey restore FILE [--force]`: a backup back into the SQLite database DATABASE_URL names (src/ops/backup.ts). */
const command: CliCommand = {
  name: 'restore',
  usage: 'chartkey restore FILE [--force]   (stop the server first; refuses a database holding data without --force; PostgreSQL: use pg_restore)',
  async run(args, ctx) {
    try {
      const { positionals, flags } = parseArgs(args, [], ['force']);
      const [file, ...rest] = positionals;
      if (!file || rest.length) throw new UsageError('give exactly one backup file');
      const target = sqliteFile(ctx.config.databaseUrl, 'restore');
      const result = await restoreSqlite(file, target, { force: flags.has('force') });
      ctx.stdout.write(`Restored ${result.pages.toLocaleString('en-US')} pages (${(result.bytes / 1048576).toFixed(1)} MiB) from ${file} into ${target}\n`);
      return 0;
    } catch (err) {
      if (err instanceof UsageError) {
        ctx.stderr.write(`chartkey restore: ${err.message}\nUsage: ${command.usage}\n`);
        return 2;
      }
      if (err instanceof BackupError) {
        ctx.stderr.write(`chartkey restore: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
export default command;
