import type { FastifyInstance } from 'fastify';
import { createGroup, GroupError, listGroups } from '../bulk/groups.js';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { sendPage } from '../web/render.js';
import { field, query } from '../web/session.js';
import { requireStaff } from './current.js';
import { GroupsPage } from './views/groups-page.js';

/** /admin/groups: the Groups a practice system can export (src/bulk/groups.ts), and a form to make one. */
export async function groupRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services, config } = opts;
  const exportBase = `${config.publicUrl}/fhir`;

  app.get('/', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const created = query(req, 'created').slice(0, 64) || undefined;
    return sendPage(reply, <GroupsPage csrf={reply.generateCsrf()} who={staff.username} groups={await listGroups(services.store)} exportBase={exportBase} created={created} />);
  });

  app.post('/', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const form = { name: field(req.body, 'name').slice(0, 300), patients: field(req.body, 'patients').slice(0, 20000), all: field(req.body, 'all') === '1' };
    const patients = form.patients.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean).slice(0, 1000);
    try {
      if (form.all && patients.length > 0) throw new GroupError('Choose either every patient or a list of patients, not both.');
      const group = await createGroup(services.store, form.name, form.all ? { allPatients: true } : { patients });
      await services.audit.record({ actorKind: 'staff', actorId: staff.id, action: 'group.create', ip: req.ip, detail: { group: group.id, members: group.members } });
      return reply.redirect(`/admin/groups?created=${encodeURIComponent(group.id)}`, 303);
    } catch (err) {
      if (!(err instanceof GroupError)) throw err;
      const page = <GroupsPage csrf={reply.generateCsrf()} who={staff.username} groups={await listGroups(services.store)} exportBase={exportBase} error={err.message} form={form} />;
      return sendPage(reply, page, 400);
    }
  });
}
