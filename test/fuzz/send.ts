import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Sent } from './oracle.js';
import type { FuzzRequest } from './requests.js';
import { encode } from './text.js';

/** Fills `{{NAME}}` placeholders in whatever the generators made. */
export function fill(text: string, secrets: Record<string, string>): string {
  return text.includes('{{') ? text.replace(/\{\{([A-Z_]+)\}\}/g, (m, name: string) => secrets[name] ?? m) : text;
}

export interface Prepared {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: Buffer;
  ip: string;
  /** What the caller sent, decoded as far as possible (errors may echo it). */
  echo: string;
}

export function prepare(req: FuzzRequest, secrets: Record<string, string>): Prepared {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, v.startsWith('{{BASIC}}') ? basicOf(JSON.parse(v.slice(9)), secrets) : fill(v, secrets)]));
  if (req.basic) {
    const { user, password, formEncoded } = req.basic;
    headers.authorization = basicOf([formEncoded ? encode(fill(user, secrets)) : user, formEncoded ? encode(fill(password, secrets)) : password], secrets);
  }
  const text = req.payload === undefined ? undefined : fill(req.payload, secrets);
  const payload = text === undefined ? undefined : Buffer.from(text, req.latin1 ? 'latin1' : 'utf8');
  const url = fill(req.url, secrets);
  return { method: req.method, url, headers, payload, ip: req.ip, echo: [url, lenientDecode(url), text ?? '', lenientDecode(text ?? ''), ...Object.values(headers)].join('\n') };
}

/** `Basic base64(user:password)` from a JSON pair whose parts may hold placeholders. */
function basicOf([user, password]: [string, string], secrets: Record<string, string>): string {
  return `Basic ${Buffer.from(`${fill(user, secrets)}:${fill(password, secrets)}`).toString('base64')}`;
}

/** Decodes every valid %-escape sequence and leaves the rest. */
function lenientDecode(s: string): string {
  return s.replace(/\+/g, ' ').replace(/(%[0-9A-Fa-f]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}

const HANG_MS = 10_000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms: ${what}`)), HANG_MS);
    }),
  ]);
}

/**
 * The URL as app.inject hands it to the router: light-my-request resolves it with WHATWG
 * URL rules (dot segments and `%2e%2e` removed, `\\` read as `/`). A socket sends it as is.
 */
export function injectedUrl(url: string): string {
  const u = new URL(url.startsWith('//') ? `http://localhost${url}` : url, 'http://localhost');
  return u.pathname + u.search;
}

export async function viaInject(app: FastifyInstance, r: Prepared): Promise<Sent> {
  const res = await withTimeout(
    app.inject({ method: r.method as 'GET', url: r.url, headers: r.headers, payload: r.payload, remoteAddress: r.ip }),
    `${r.method} ${r.url.slice(0, 200)}`,
  );
  return { status: res.statusCode, headers: res.headers, body: res.body, url: injectedUrl(r.url) };
}

/**
 * The same request written byte for byte on a real socket (the URL may hold bytes no
 * HTTP client would send), read to the end of a `Connection: close` response. The
 * address is always 127.0.0.1 here: throttling is not what this slice looks at.
 */
export function viaSocket(port: number, r: Prepared): Promise<Sent> {
  const head = [`${r.method} ${r.url} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`)];
  if (r.payload) head.push(`Content-Length: ${r.payload.length}`);
  const bytes = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), r.payload ?? Buffer.alloc(0)]);
  return withTimeout(
    new Promise<Sent>((resolve, reject) => {
      const chunks: Buffer[] = [];
      // write, not end: Node's HTTP server aborts a request whose client half-closes before the answer.
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      socket.on('data', (c) => chunks.push(c));
      // The server may answer early and reset while the rest of a large request is on the way.
      socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
      socket.on('close', () => {
        const all = Buffer.concat(chunks);
        if (all.length === 0) return reject(new Error('the server closed the connection without an answer'));
        resolve({ ...parseResponse(all), url: r.url });
      });
    }),
    `socket ${r.method} ${r.url.slice(0, 200)}`,
  );
}

function parseResponse(all: Buffer): Omit<Sent, 'url'> {
  const end = all.indexOf('\r\n\r\n');
  const lines = all.subarray(0, end < 0 ? all.length : end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  let body = end < 0 ? Buffer.alloc(0) : all.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!size) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
