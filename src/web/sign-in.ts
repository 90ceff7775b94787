import type { Services } from '../services.js';

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
