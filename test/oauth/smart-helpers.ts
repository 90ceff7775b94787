import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PageClient } from '../portal/browser-client.js';

/** PKCE pair (RFC 7636 S256), made here with node:crypto, not by the code under test. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface LaunchParams {
  clientId: string;
  redirectUri: string;
  scope: string;
  aud: string;
  state?: string;
  challenge?: string;
  method?: string;
  extra?: Record<string, string>;
}

export function authorizeQuery(p: LaunchParams): string {
  const q = new URLSearchParams({ response_type: 'code', client_id: p.clientId, redirect_uri: p.redirectUri, scope: p.scope, aud: p.aud, state: p.state ?? 'st-123' });
  if (p.challenge) (q.set('code_challenge', p.challenge), q.set('code_challenge_method', p.method ?? 'S256'));
  for (const [k, v] of Object.entries(p.extra ?? {})) q.set(k, v);
  return `/oauth/authorize?${q}`;
}

/** An attribute value as the page wrote it, unescaped. */
function unescapeHtml(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x27;|&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The consent checkboxes of a consent page: value and whether ticked. */
export function consentItems(html: string): Array<{ scope: string; checked: boolean }> {
  const out: Array<{ scope: string; checked: boolean }> = [];
  for (const m of html.matchAll(/<input[^>]*data-testid="consent-scope"[^>]*>/g)) {
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    out.push({ scope: unescapeHtml(value), checked: /\schecked(\s|=|>|\/)/.test(m[0]) });
  }
  return out;
}

/**
 * A patient's whole launch over HTTP (app.inject with cookies): the authorization
 * request, sign-in when asked, the consent page, and the decision. `choose` picks the
 * scopes to tick from the offered items (default: as offered). Returns the redirect the
 * browser would follow, or the error page.
 */
export async function launch(
  app: FastifyInstance,
  params: LaunchParams,
  patient: { username: string; password: string },
  options: { choose?: (items: Array<{ scope: string; checked: boolean }>) => string[]; decision?: 'allow' | 'deny'; client?: PageClient; sensitive?: boolean } = {},
): Promise<{ status: number; location?: URL; body: string; consent?: string; client: PageClient }> {
  const client = options.client ?? new PageClient(app);
  let res = await client.get(authorizeQuery(params));
  if (res.statusCode === 303 && String(res.headers.location).startsWith('/portal/authorize?')) res = await client.get(String(res.headers.location));
  if (res.statusCode === 303 && String(res.headers.location).startsWith('/portal/login')) {
    const next = new URL(String(res.headers.location), 'http://x').searchParams.get('next') ?? '';
    await client.get(String(res.headers.location));
    res = await client.post('/portal/login', { username: patient.username, password: patient.password, next });
    if (res.statusCode !== 303) return { status: res.statusCode, body: res.body, client };
    res = await client.get(String(res.headers.location));
  }
  if (res.statusCode !== 200) return { status: res.statusCode, location: res.headers.location ? new URL(String(res.headers.location)) : undefined, body: res.body, client };
  const consent = res.body;
  const items = consentItems(consent);
  const chosen = options.choose ? options.choose(items) : items.filter((i) => i.checked).map((i) => i.scope);
  const hidden: Record<string, string> = {};
  for (const m of consent.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    if (m[1] !== '_csrf') hidden[m[1]] = unescapeHtml(m[2]);
  }
  const decision = new URLSearchParams({ ...hidden, decision: options.decision ?? 'allow' });
  for (const s of chosen) decision.append('grant', s);
  if (options.sensitive) decision.set('sensitive', 'yes');
  const decided = await client.post('/portal/authorize/decision', decision);
  return { status: decided.statusCode, location: decided.headers.location ? new URL(String(decided.headers.location)) : undefined, body: decided.body, consent, client };
}

export function form(body: Record<string, string>): { payload: string; headers: Record<string, string> } {
  return { payload: new URLSearchParams(body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}
