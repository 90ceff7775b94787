import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PortalAccount } from '../../accounts/portal-accounts.js';
import type { Config } from '../../config/config.js';
import type { Services } from '../../services.js';
import { sendPage } from '../../web/render.js';
import { PORTAL_COOKIE, sessionId } from '../../web/session.js';
import { AuthorizeErrorPage, ConsentPage } from './consent-page.js';
import { AUTHORIZE_PATH, CONSENT_PATH, DECISION_PATH } from './paths.js';
import { checkAuthorize, grantedScope, readParams, type AuthorizeCheck, type AuthorizeParams, type ValidRequest } from './request.js';

/**
 * /oauth/authorize (GET and POST, SMART `authorize-post`) and the consent decision. Lives
 * in the HTML surface (cookies, CSRF, security headers), because the patient signs in and
 * decides here. The app's request is not state-changing and carries no CSRF token; the
 * decision is, and does.
 */
export async function authorizeRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services, config } = opts;
  const fhirBase = `${config.publicUrl}/fhir`;

  const signedIn = async (req: FastifyRequest): Promise<PortalAccount | undefined> => {
    const session = await services.portal.sessions.get('patient', sessionId(req, PORTAL_COOKIE));
    const account = session && (await services.portal.accounts.getById(session.subjectId));
    return account && account.status === 'active' && !account.mustChangePassword ? account : undefined;
  };

  /**
   * The request's parameters, checked (RFC 6749 §4.1.1); undefined once the answer has
   * been sent (a malformed request's page, or the error page or redirect of `refuse`).
   */
  const validate = async (reply: FastifyReply, source: Record<string, unknown>) => {
    const params = readParams(source);
    if ('repeated' in params) {
      await sendPage(reply, <AuthorizeErrorPage message={`The app's request is malformed (${params.repeated.slice(0, 40)}).`} />, 400);
      return undefined;
    }
    const check = await checkAuthorize(params, { clients: services.oauth.clients, fhirBase });
    if (check.kind === 'valid') return { params, request: check.request };
    await refuse(reply, config.publicUrl, check);
    return undefined;
  };

  /**
   * The signed-in patient who may decide on this request; undefined once the answer has
   * been sent: the sign-in page (coming back to the consent page afterwards), or a refusal
   * when the app is another patient's generated credential.
   */
  const decider = async (req: FastifyRequest, reply: FastifyReply, params: AuthorizeParams, request: ValidRequest) => {
    const account = await signedIn(req);
    if (!account) {
      await reply.redirect(`/portal/login?next=${encodeURIComponent(`${CONSENT_PATH}?${new URLSearchParams(params as Record<string, string>)}`)}`, 303);
      return undefined;
    }
    const own = request.client.credential;
    if (own && own.patientId !== account.patientId) {
      await sendPage(reply, <AuthorizeErrorPage message="These API credentials belong to another patient's portal account. Sign in as that patient, or generate your own credentials." />, 403);
      return undefined;
    }
    return account;
  };

  // The endpoint apps call (GET, or POST for `authorize-post`): hand the request to the
  // consent page under /portal, as a GET with the same parameters.
  const handOff = async (reply: FastifyReply, source: Record<string, unknown>) => {
    const valid = await validate(reply, source);
    if (!valid) return reply;
    return reply.redirect(`${CONSENT_PATH}?${new URLSearchParams(valid.params as Record<string, string>)}`, 303);
  };
  app.get(AUTHORIZE_PATH, async (req, reply) => handOff(reply, req.query as Record<string, unknown>));
  app.post(AUTHORIZE_PATH, async (req, reply) => handOff(reply, (req.body ?? {}) as Record<string, unknown>));

  app.get(CONSENT_PATH, async (req, reply) => {
    const valid = await validate(reply, req.query as Record<string, unknown>);
    const account = valid && (await decider(req, reply, valid.params, valid.request));
    if (!valid || !account) return reply;
    const practice = (await services.portal.settings.get()).practiceName;
    reply.header('x-frame-options', 'DENY').header('content-security-policy', consentPolicy(valid.request.redirectUri));
    return sendPage(reply, <ConsentPage csrf={reply.generateCsrf()} request={valid.request} who={account.username ?? account.email ?? 'Patient'} practice={practice} />);
  });

  app.post(DECISION_PATH, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const valid = await validate(reply, body);
    const account = valid && (await decider(req, reply, valid.params, valid.request));
    if (!valid || !account) return reply;
    const { params, request } = valid;
    const own = request.client.credential;
    const audit = { actorKind: 'patient' as const, actorId: account.id, patientId: account.patientId, ip: req.ip };
    if (body.decision !== 'allow') {
      await services.audit.record({ ...audit, action: 'app.deny', detail: { client: request.client.clientId, name: request.client.name } });
      return redirectTo(reply, config.publicUrl, request.redirectUri, { error: 'access_denied', error_description: 'The patient denied access', state: params.state });
    }
    const ticked = Array.isArray(body.grant) ? body.grant.filter((g): g is string => typeof g === 'string') : typeof body.grant === 'string' ? [body.grant] : [];
    const scope = grantedScope(request, ticked);
    const includeSensitive = body.sensitive === 'yes';
    const grant = await services.oauth.grants.create({
      clientId: request.client.clientId,
      clientName: request.client.name,
      credentialId: own?.credentialId,
      patientId: account.patientId,
      accountId: account.id,
      scope,
      includeSensitive,
    });
    await services.audit.record({
      ...audit, action: 'app.authorize', credentialId: grant.id, detail: { client: request.client.clientId, name: request.client.name, scope, sensitive: includeSensitive },
    });
    // The patient is told (banner; e-mail for Premium) that an app was given access (Patient controls).
    await services.notices.credentialCreated({ patientId: account.patientId, subjectId: grant.id, name: request.client.name, kind: 'app' });
    const code = await services.oauth.grants.issueCode(grant, { redirectUri: request.redirectUri, codeChallenge: params.code_challenge, nonce: params.nonce });
    return redirectTo(reply, config.publicUrl, request.redirectUri, { code, state: params.state });
  });
}

/**
 * The consent page's Content-Security-Policy: the site's strict policy, with form-action
 * widened to the one registered redirect URI's origin — browsers apply form-action to the
 * redirect that follows the decision, and that redirect goes to the app.
 */
function consentPolicy(redirectUri: string): string {
  const url = new URL(redirectUri);
  const target = url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
  return [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'", "connect-src 'self'",
    `form-action 'self' ${target}`, "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'",
  ].join('; ');
}

function refuse(reply: FastifyReply, issuer: string, check: Exclude<AuthorizeCheck, { kind: 'valid' }>) {
  if (check.kind === 'error-page') return sendPage(reply, <AuthorizeErrorPage message={check.message} />, 400);
  return redirectTo(reply, issuer, check.redirectUri, { error: check.error, error_description: check.description, state: check.state });
}

/**
 * Adds the response parameters to the registered redirect URI (keeping its own query,
 * RFC 6749 §3.1.2), with `iss` (RFC 9207): an app talking to several servers can tell
 * which one answered (mix-up defence).
 */
function redirectTo(reply: FastifyReply, issuer: string, redirectUri: string, params: Record<string, string | undefined>) {
  const url = new URL(redirectUri);
  url.searchParams.set('iss', issuer);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return reply.redirect(url.toString(), 303);
}

