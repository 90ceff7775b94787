import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';

/**
 * Session cookies: HttpOnly (no script can read them), SameSite=Lax (not sent on
 * cross-site POSTs), Secure when the public URL is https, and scoped to their surface's
 * path so the portal and admin sessions never mix.
 */
export interface SessionCookie {
  name: string;
  path: string;
}

export const PORTAL_COOKIE: SessionCookie = { name: 'ck_portal', path: '/portal' };
export const ADMIN_COOKIE: SessionCookie = { name: 'ck_admin', path: '/admin' };

export function isSecure(config: Pick<Config, 'publicUrl'>): boolean {
  return config.publicUrl.startsWith('https:');
}

export function setSessionCookie(reply: FastifyReply, cookie: SessionCookie, id: string, config: Config): void {
  reply.setCookie(cookie.name, id, { path: cookie.path, httpOnly: true, sameSite: 'lax', secure: isSecure(config) });
}

export function clearSessionCookie(reply: FastifyReply, cookie: SessionCookie, config: Config): void {
  reply.clearCookie(cookie.name, { path: cookie.path, httpOnly: true, sameSite: 'lax', secure: isSecure(config) });
}

export function sessionId(req: FastifyRequest, cookie: SessionCookie): string | undefined {
  return req.cookies[cookie.name];
}

/** Form fields as strings (urlencoded bodies); anything else is treated as absent. */
export function field(body: unknown, name: string): string {
  if (!body || typeof body !== 'object') return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

export function query(req: FastifyRequest, name: string): string {
  return field(req.query, name);
}
