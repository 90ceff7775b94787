import { migrate } from '../db/migrate.js';
import { openDb } from '../db/open.js';
import type { CliCommand } from './types.js';

const command: CliCommand = {
  name: 'migrate',
  usage: 'chartkey migrate   (applies pending database migrations to DATABASE_URL)',
  async run(_args, ctx) {
    const db = openDb(ctx.config.databaseUrl);
    try {
      const applied = await migrate(db);
      ctx.stdout.write(applied.length ? `Applied ${applied.join(', ')}\n` : 'Database is up to date.\n');
      return 0;
    } finally {
      await db.close();
    }
  },
};
export default command;
