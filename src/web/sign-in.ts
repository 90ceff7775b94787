import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { clearSessionCookie, type SessionCookie, sessionId } from './session.js';

export type SignInResult<T> =
  | { ok: true; subject: T }
  | { ok: false; status: 401 | 429; message: string; retryAfter?: number };

/**
 * One sign-in attempt, the same for portal and admin: refused without checking the
 * password while the account or the address is throttled; every outcome audited; the
 * message never says whether the username exists.
 */
export async function attemptSignIn<T extends { id: string }>(
  services: Services,
  input: { surface: 'portal' | 'admin'; username: string; password: string; ip: string; patientIdOf?: (s: T) => string },
  verify: (username: string, password: string) => Promise<T | undefined>,
): Promise<SignInResult<T>> {
  const { throttle } = services.portal;
  const username = input.username.trim().toLowerCase().slice(0, 200);
  const actorKind = input.surface === 'portal' ? 'patient' : 'staff';
  const wait = await throttle.retryAfter(input.surface, username, input.ip);
  if (wait > 0) {
    await services.audit.record({ actorKind: 'anonymous', action: 'signin.throttled', ip: input.ip, detail: { surface: input.surface, username } });
    const minutes = Math.ceil(wait / 60);
    return { ok: false, status: 429, retryAfter: wait, message: `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.` };
  }
  const subject = username && input.password ? await verify(username, input.password) : undefined;
  if (!subject) {
    await throttle.recordFailure(input.surface, username, input.ip);
    await services.audit.record({ actorKind: 'anonymous', action: 'signin.failure', ip: input.ip, detail: { surface: input.surface, username } });
    return { ok: false, status: 401, message: 'The username or password is not correct.' };
  }
  await throttle.recordSuccess(input.surface, username);
  await services.audit.record({
    actorKind, actorId: subject.id, action: 'signin.success', ip: input.ip, patientId: input.patientIdOf?.(subject) ?? null, detail: { surface: input.surface, username },
  });
  return { ok: true, subject };
}

/** Ends the session of a surface (portal or admin), audits it, and sends the browser to its sign-in page. */
export async function signOut(
  services: Services,
  req: FastifyRequest,
  reply: FastifyReply,
  surface: { kind: 'patient' | 'staff'; cookie: SessionCookie; loginPath: string },
  config: Config,
) {
  const { sessions } = services.portal;
  const id = sessionId(req, surface.cookie);
  const session = await sessions.get(surface.kind, id);
  await sessions.destroy(id);
  clearSessionCookie(reply, surface.cookie, config);
  if (session) await services.audit.record({ actorKind: surface.kind, actorId: session.subjectId, action: 'signout', ip: req.ip });
  return reply.redirect(`${surface.loginPath}?signedout=1`, 303);
}
