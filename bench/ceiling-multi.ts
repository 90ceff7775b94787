/**
 * The ceiling for a recorded request stream (bench/sync.ts --record): a bare Fastify
 * server that answers each request with the exact status and bytes ChartKey returned for
 * the same method and path, so the sync scenario can be replayed against it.
 * Usage: tsx bench/ceiling-multi.ts PORT RECORDING_FILE
 */
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const [port, file] = process.argv.slice(2);
const recorded = JSON.parse(readFileSync(file, 'utf8')) as Array<{ method: string; path: string; status: number; body: string }>;
const answers = new Map(recorded.map((r) => [`${r.method} ${r.path}`, { status: r.status, body: Buffer.from(r.body, 'base64') }]));
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, payload, done) => done(null, payload));
const notFound = { status: 404, body: Buffer.from('{"resourceType":"OperationOutcome"}') };
const handler = async (req: { method: string; url: string }, reply: { code(n: number): unknown; header(k: string, v: string): unknown; send(b: Buffer): unknown }) => {
  const a = answers.get(`${req.method} ${req.url}`) ?? notFound;
  reply.code(a.status);
  reply.header('content-type', req.url.startsWith('/fhir') ? 'application/fhir+json; charset=utf-8' : 'application/json; charset=utf-8');
  return reply.send(a.body);
};
app.get('/*', handler);
app.post('/*', handler);
app.get('/', async () => 'ready');
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write('ready\n');
