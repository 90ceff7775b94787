import { backupSqlite, BackupError, sqliteFile } from '../ops/backup.js';
import { parseArgs, UsageError } from './args.js';
import type { CliCommand } from './types.js';

/** `chartkey backup FILE`: a consistent copy of the embedded database, safe while the server runs (src/ops/backup.ts). */
const command: CliCommand = {
  name: 'backup',
  usage: 'chartkey backup FILE   (copies the SQLite database DATABASE_URL names while the server runs; PostgreSQL: use pg_dump)',
  async run(args, ctx) {
    try {
      const [file, ...rest] = parseArgs(args, []).positionals;
      if (!file || rest.length) throw new UsageError('give exactly one backup file name');
      const result = await backupSqlite(sqliteFile(ctx.config.databaseUrl, 'back up'), file);
      ctx.stdout.write(`Backed up ${result.pages.toLocaleString('en-US')} pages (${(result.bytes / 1048576).toFixed(1)} MiB) to ${file}\n`);
      return 0;
    } catch (err) {
      if (err instanceof UsageError) {
        ctx.stderr.write(`chartkey backup: ${err.message}\nUsage: ${command.usage}\n`);
        return 2;
      }
      if (err instanceof BackupError) {
        ctx.stderr.write(`chartkey backup: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
export default command;
