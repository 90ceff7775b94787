import type { DbError } from './db.js';

/**
 * Which DbError a node-postgres error is, if any. Server errors carry a SQLSTATE
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html); network failures
 * carry a Node errno code; pg's own timeouts and a connection closed under a query carry
 * only a message.
 */
export function classifyPgError(err: unknown): DbError['code'] | undefined {
  const code = String((err as { code?: unknown })?.code ?? '');
  const message = err instanceof Error ? err.message : '';
  if (code === '23505') return 'unique_violation';
  if (code === '40001' || code === '40P01') return 'serialization_failure';
  if (SQLSTATE_UNAVAILABLE.has(code) || code.startsWith('08')) return 'unavailable';
  if (NETWORK_CODES.has(code)) return 'unavailable';
  if (PG_MESSAGES.some((re) => re.test(message))) return 'unavailable';
  return undefined;
}

const SQLSTATE_UNAVAILABLE = new Set([
  '57014', // query_canceled: statement_timeout
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '53300', // too_many_connections
  '53100', // disk_full (on the database server)
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

const PG_MESSAGES = [
  /^Connection terminated/i, // the socket closed under a query or while connecting
  /timeout exceeded when trying to connect/i, // pg-pool connectionTimeoutMillis
  /^Query read timeout$/i, // pg query_timeout
  /Client has encountered a connection error and is not queryable/i,
  /Client was closed and is not queryable/i,
  /^Connection closed$/i,
];
