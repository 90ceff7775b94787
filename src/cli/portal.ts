import { EnablementError, enablePortal } from '../accounts/enablement.js';
import { resolvePatient } from '../accounts/patient-lookup.js';
import { AccountError } from '../accounts/portal-accounts.js';
import { parseArgs, UsageError } from './args.js';
import { withServices } from './context.js';
import type { CliCommand } from './types.js';

const command: CliCommand = {
  name: 'portal',
  usage: 'chartkey portal enable PATIENT --username U [--password P]   (PATIENT: resource id or system|value identifier; the password is temporary)',
  async run(args, ctx) {
    try {
      const { flags, positionals } = parseArgs(args, ['username', 'password']);
      const [verb, patientRef, ...rest] = positionals;
      const username = flags.get('username');
      const password = flags.get('password');
      if (verb !== 'enable' || !patientRef || rest.length || typeof username !== 'string') throw new UsageError(`usage: ${command.usage}`);
      const result = await withServices(ctx, async (services) => {
        const patient = await resolvePatient(services.store, patientRef);
        if ('error' in patient) throw new UsageError(patient.error);
        return enablePortal(services, { patientId: patient.id, username, password: typeof password === 'string' ? password : undefined, by: { kind: 'system', id: 'cli' } });
      });
      ctx.stdout.write(`Portal access enabled for Patient/${result.account.patientId} as "${result.account.username}".\n`);
      if (typeof password !== 'string') ctx.stdout.write(`Temporary password: ${result.temporaryPassword}\n`);
      ctx.stdout.write(`The password is temporary: it must be changed at first sign-in at ${ctx.config.publicUrl}/portal/login\n`);
      return 0;
    } catch (err) {
      if (err instanceof UsageError || err instanceof AccountError || err instanceof EnablementError) {
        ctx.stderr.write(`chartkey portal: ${err.message}\n`);
        return err instanceof UsageError ? 2 : 1;
      }
      throw err;
    }
  },
};
export default command;
