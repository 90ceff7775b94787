import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resumeAfterActivation } from '../accounts/enablement.js';
import { AccountError, type PortalAccount } from '../accounts/portal-accounts.js';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { noStore, sendPage } from '../web/render.js';
import { field, PORTAL_COOKIE, query, sessionId, setSessionCookie } from '../web/session.js';
import { attemptSignIn, signOut } from '../web/sign-in.js';
import { afterSignIn } from '../oauth/authorize/paths.js';
import { displayName, requirePatient } from './current.js';
import { ActivatePage, ChangePasswordPage, FirstPasswordPage, PortalLoginPage } from './views/auth-pages.js';

/** Sign-in, sign-out, first-sign-in password, Premium activation, password change. */
export async function portalAuthRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services, config } = opts;
  const { accounts, sessions, settings } = services.portal;

  const startSession = async (req: FastifyRequest, reply: FastifyReply, accountId: string) => {
    // A new session id at every sign-in (no session fixation).
    await sessions.destroy(sessionId(req, PORTAL_COOKIE));
    setSessionCookie(reply, PORTAL_COOKIE, await sessions.create('patient', accountId), config);
  };

  app.get('/', async (req, reply) => {
    const session = await sessions.get('patient', sessionId(req, PORTAL_COOKIE));
    return reply.redirect(session ? '/portal/history' : '/portal/login', 303);
  });

  app.get('/login', async (req, reply) => {
    const notice = query(req, 'signedout') ? 'You have signed out.' : afterSignIn(query(req, 'next')) ? 'Sign in to decide what the app may see.' : undefined;
    return sendPage(reply, <PortalLoginPage csrf={reply.generateCsrf()} notice={notice} practice={(await settings.get()).practiceName} next={afterSignIn(query(req, 'next'))} />);
  });

  app.post('/login', async (req, reply) => {
    const username = field(req.body, 'username');
    const result = await attemptSignIn<PortalAccount>(services, { surface: 'portal', username, password: field(req.body, 'password'), ip: req.ip, patientIdOf: (a) => a.patientId }, (u, p) =>
      accounts.verifySignIn(u, p),
    );
    if (!result.ok) {
      if (result.retryAfter) reply.header('Retry-After', String(result.retryAfter));
      const practice = (await settings.get()).practiceName;
      return sendPage(reply, <PortalLoginPage csrf={reply.generateCsrf()} error={result.message} username={username.slice(0, 200)} practice={practice} next={afterSignIn(field(req.body, 'next'))} />, result.status);
    }
    await startSession(req, reply, result.subject.id);
    // Back to the app's authorization request (SMART launch), else to My History.
    const next = afterSignIn(field(req.body, 'next'));
    if (result.subject.mustChangePassword) return reply.redirect(next ? `/portal/password/new?next=${encodeURIComponent(next)}` : '/portal/password/new', 303);
    return reply.redirect(next ?? '/portal/history', 303);
  });

  app.post('/logout', (req, reply) => signOut(services, req, reply, { kind: 'patient', cookie: PORTAL_COOKIE, loginPath: '/portal/login' }, config));

  app.get('/password/new', async (req, reply) => {
    const account = await requirePatient(services, req, reply, { allowMustChange: true });
    if (!account) return reply;
    if (!account.mustChangePassword) return reply.redirect('/portal/history', 303);
    return sendPage(reply, <FirstPasswordPage csrf={reply.generateCsrf()} who={displayName(account)} next={afterSignIn(query(req, 'next'))} />);
  });

  app.post('/password/new', async (req, reply) => {
    const account = await requirePatient(services, req, reply, { allowMustChange: true });
    if (!account) return reply;
    // This form skips the current password only because a temporary one was just used;
    // anyone else changing a password goes through /portal/password and proves the old one.
    if (!account.mustChangePassword) return reply.redirect('/portal/history', 303);
    const error = await setPassword(field(req.body, 'password'), field(req.body, 'confirm'), (p) => accounts.changePassword(account.id, p));
    if (error) return sendPage(reply, <FirstPasswordPage csrf={reply.generateCsrf()} who={displayName(account)} error={error} next={afterSignIn(field(req.body, 'next'))} />, 400);
    await services.audit.record({ actorKind: 'patient', actorId: account.id, action: 'password.change', patientId: account.patientId, ip: req.ip, detail: { first: true } });
    await startSession(req, reply, account.id);
    return reply.redirect(afterSignIn(field(req.body, 'next')) ?? '/portal/history', 303);
  });

  app.get('/password', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    return sendPage(reply, <ChangePasswordPage csrf={reply.generateCsrf()} who={displayName(account)} done={Boolean(query(req, 'done'))} />);
  });

  app.post('/password', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const error = await setPassword(field(req.body, 'password'), field(req.body, 'confirm'), (p) => accounts.changePassword(account.id, p, field(req.body, 'current')));
    if (error) return sendPage(reply, <ChangePasswordPage csrf={reply.generateCsrf()} who={displayName(account)} error={error} />, 400);
    await services.audit.record({ actorKind: 'patient', actorId: account.id, action: 'password.change', patientId: account.patientId, ip: req.ip });
    // Other browsers signed in as this patient are signed out; this one gets a fresh session.
    await sessions.destroyAll('patient', account.id);
    await startSession(req, reply, account.id);
    return reply.redirect('/portal/password?done=1', 303);
  });

  app.get('/activate', async (req, reply) => {
    const token = query(req, 'token');
    const account = await accounts.peekActivation(token);
    noStore(reply);
    return sendPage(reply, <ActivatePage csrf={reply.generateCsrf()} token={token} username={account?.username ?? undefined} invalid={!account} />, account ? 200 : 404);
  });

  app.post('/activate', async (req, reply) => {
    const token = field(req.body, 'token');
    let accountId: string | undefined;
    const error = await setPassword(field(req.body, 'password'), field(req.body, 'confirm'), async (p) => {
      const account = await accounts.activate(token, p);
      await resumeAfterActivation(services, account, req.ip);
      accountId = account.id;
    });
    noStore(reply);
    if (error || !accountId) {
      const account = await accounts.peekActivation(token);
      return sendPage(reply, <ActivatePage csrf={reply.generateCsrf()} token={token} username={account?.username ?? undefined} invalid={!account} error={error} />, 400);
    }
    await startSession(req, reply, accountId);
    return reply.redirect('/portal/history', 303);
  });
}

/** Checks the confirmation and applies a new password; returns an error message for the form. */
async function setPassword(password: string, confirm: string, apply: (password: string) => Promise<void>): Promise<string | undefined> {
  if (password !== confirm) return 'The two passwords do not match.';
  try {
    await apply(password);
    return undefined;
  } catch (err) {
    if (err instanceof AccountError) return err.message;
    throw err;
  }
}
