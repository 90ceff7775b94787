import type { FastifyReply } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

/** Sends a JSX page. Preact escapes every text node and attribute, so user input is never markup. */
export function sendPage(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(`<!doctype html>${renderToString(page)}`);
}

/** Pages showing a secret or a password once: never stored by the browser or a proxy. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
}

export function formatDate(ms: number | null | undefined): string {
  if (ms == null) return 'Never';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}
