/**
 * The ceiling: a bare Fastify server that answers every request with fixed bytes — the
 * exact body ChartKey returned for the case being measured — so the ratio product/ceiling
 * isolates what ChartKey adds. Usage: tsx bench/ceiling.ts PORT BODY_FILE CONTENT_TYPE
 */
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const [port, file, contentType] = process.argv.slice(2);
const body = readFileSync(file);
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, payload, done) => done(null, payload));
const handler = async (_req: unknown, reply: { header(k: string, v: string): unknown; send(b: Buffer): unknown }) => {
  reply.header('content-type', contentType);
  return reply.send(body);
};
app.get('/*', handler);
app.post('/*', handler);
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write('ready\n');
