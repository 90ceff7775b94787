import { createGroup, GroupError } from '../bulk/groups.js';
import { parseArgs, UsageError } from './args.js';
import { withServices } from './context.js';
import type { CliCommand } from './types.js';

/**
 * `chartkey group add NAME (--all-patients | --patient PATIENT [--patient PATIENT…]) [--json]`
 * (SPEC: Practice systems): stores a FHIR Group to export with `GET /fhir/Group/{id}/$export`
 * and prints its id. PATIENT is a resource id or a `system|value` identifier.
 */
const command: CliCommand = {
  name: 'group',
  usage: 'chartkey group add NAME (--all-patients | --patient PATIENT [--patient PATIENT…]) [--json]   (PATIENT: resource id or system|value identifier)',
  async run(args, ctx) {
    try {
      // --patient repeats, which parseArgs (one value per flag) does not keep: collect it first.
      const patients: string[] = [];
      const rest: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === '--patient') {
          const v = args[++i];
          if (v === undefined) throw new UsageError('--patient needs a value');
          patients.push(v);
        } else if (a.startsWith('--patient=')) {
          patients.push(a.slice('--patient='.length));
        } else {
          rest.push(a);
        }
      }
      const { flags, positionals } = parseArgs(rest, [], ['all-patients', 'json']);
      const [verb, name, ...extra] = positionals;
      if (verb !== 'add' || !name || extra.length) throw new UsageError(`usage: ${command.usage}`);
      const all = flags.get('all-patients') === true;
      if (all === patients.length > 0) throw new UsageError('give either --all-patients or one or more --patient PATIENT');
      const group = await withServices(ctx, async (services) => {
        const created = await createGroup(services.store, name, all ? { allPatients: true } : { patients });
        await services.audit.record({ actorKind: 'system', actorId: 'cli', action: 'group.create', detail: { group: created.id, members: created.members } });
        return created;
      });
      if (flags.get('json') === true) ctx.stdout.write(`${JSON.stringify({ id: group.id })}\n`);
      else ctx.stdout.write(`${group.id}\n`);
      return 0;
    } catch (err) {
      if (err instanceof UsageError || err instanceof GroupError) {
        ctx.stderr.write(`chartkey group: ${err.message}\n`);
        return err instanceof UsageError ? 2 : 1;
      }
      throw err;
    }
  },
};
export default command;
