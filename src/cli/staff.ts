import { StaffError } from '../accounts/staff.js';
import { parseArgs, UsageError } from './args.js';
import { withServices } from './context.js';
import { promptHidden } from './read-secret.js';
import type { CliCommand } from './types.js';

const command: CliCommand = {
  name: 'staff',
  usage: 'chartkey staff add USERNAME [--password P]   (creates a practice staff account; prompts for the password on a terminal)',
  async run(args, ctx) {
    try {
      const { flags, positionals } = parseArgs(args, ['password']);
      const [verb, username, ...rest] = positionals;
      if (verb !== 'add' || !username || rest.length) throw new UsageError(`usage: ${command.usage}`);
      let password = flags.get('password');
      if (typeof password !== 'string') {
        password = await promptHidden(`Password for ${username}: `);
        if (password === undefined) throw new UsageError('no terminal to prompt on: pass --password');
        const again = await promptHidden('Repeat the password: ');
        if (again !== password) throw new UsageError('the passwords do not match');
      }
      const user = await withServices(ctx, async (services) => {
        const created = await services.staff.create(username, password as string);
        await services.audit.record({ actorKind: 'system', actorId: 'cli', action: 'staff.create', detail: { username: created.username } });
        return created;
      });
      ctx.stdout.write(`Created staff account "${user.username}". Sign in at ${ctx.config.publicUrl}/admin/login\n`);
      return 0;
    } catch (err) {
      if (err instanceof UsageError || err instanceof StaffError) {
        ctx.stderr.write(`chartkey staff: ${err.message}\n`);
        return err instanceof UsageError ? 2 : 1;
      }
      throw err;
    }
  },
};
export default command;
