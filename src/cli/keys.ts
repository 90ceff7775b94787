import { rotateSigningKeys } from '../oauth/app-admin.js';
import { parseArgs, UsageError } from './args.js';
import { withServices } from './context.js';
import type { CliCommand } from './types.js';

const command: CliCommand = {
  name: 'keys',
  usage: 'chartkey keys rotate [--json]   (adds a new id_token signing key; the old one stays published at /oauth/jwks until its tokens have expired)',
  async run(args, ctx) {
    try {
      const { flags, positionals } = parseArgs(args, [], ['json']);
      const [verb, ...rest] = positionals;
      if (verb !== 'rotate' || rest.length) throw new UsageError(`usage: ${command.usage}`);
      const kid = await withServices(ctx, (services) => rotateSigningKeys(services, { kind: 'system', id: 'cli' }));
      ctx.stdout.write(flags.has('json') ? `${JSON.stringify({ kid })}\n` : `New signing key: ${kid}\nThe previous key still verifies tokens it signed (published at ${ctx.config.publicUrl}/oauth/jwks) until they expire.\n`);
      return 0;
    } catch (err) {
      if (err instanceof UsageError) {
        ctx.stderr.write(`chartkey keys: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
export default command;
