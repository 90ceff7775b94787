import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StaffUser } from '../accounts/staff.js';
import type { Services } from '../services.js';
import { ADMIN_COOKIE, sessionId } from '../web/session.js';

/** The signed-in staff user, or undefined after redirecting to the admin sign-in. */
export async function requireStaff(services: Services, req: FastifyRequest, reply: FastifyReply): Promise<StaffUser | undefined> {
  const session = await services.portal.sessions.get('staff', sessionId(req, ADMIN_COOKIE));
  const user = session && (await services.staff.get(session.subjectId));
  if (!user) {
    await reply.redirect('/admin/login', 303);
    return undefined;
  }
  return user;
}
