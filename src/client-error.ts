import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { FHIR_JSON } from './fhir/http/negotiate.js';
import { outcome } from './fhir/outcome.js';

/**
 * Requests Node's HTTP parser refuses before Fastify sees them — a header block over the
 * 16 KB limit, a malformed request line, a request that timed out — answered in the
 * surface's error shape (an OperationOutcome under /fhir, RFC 6749 JSON under /oauth/,
 * plain text elsewhere), as
 * `frameworkErrors` does for errors raised while routing, instead of Fastify's JSON.
 * https://nodejs.org/api/http.html#event-clienterror
 */
export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message = status === 408 ? 'Request timeout' : status === 431 ? 'Request header fields too large' : 'Bad request';
  const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, 256).toString('latin1') : '';
  const target = /^[A-Z]+ (\S*)/.exec(raw)?.[1] ?? '';
  const [type, body] = target.startsWith('/fhir')
    ? [FHIR_JSON, JSON.stringify(outcome([{ severity: 'error', code: status === 431 ? 'too-long' : status === 408 ? 'incomplete' : 'invalid', diagnostics: message }]))]
    : target.startsWith('/oauth/')
      ? ['application/json; charset=utf-8', JSON.stringify({ error: 'invalid_request', error_description: message })]
      : ['text/plain; charset=utf-8', message];
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
