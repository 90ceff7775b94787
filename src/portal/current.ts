import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PortalAccount } from '../accounts/portal-accounts.js';
import type { Services } from '../services.js';
import { PORTAL_COOKIE, sessionId } from '../web/session.js';

/**
 * The signed-in patient's account, or undefined after redirecting to sign-in (or to the
 * first-password page when a temporary password must be changed first).
 */
export async function requirePatient(services: Services, req: FastifyRequest, reply: FastifyReply, opts: { allowMustChange?: boolean } = {}): Promise<PortalAccount | undefined> {
  const session = await services.portal.sessions.get('patient', sessionId(req, PORTAL_COOKIE));
  const account = session && (await services.portal.accounts.getById(session.subjectId));
  if (!account || account.status !== 'active') {
    await reply.redirect('/portal/login', 303);
    return undefined;
  }
  if (account.mustChangePassword && !opts.allowMustChange) {
    await reply.redirect('/portal/password/new', 303);
    return undefined;
  }
  return account;
}

export const displayName = (a: PortalAccount) => a.username ?? a.email ?? 'Patient';
