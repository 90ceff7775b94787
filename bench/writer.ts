/**
 * The sync scenario's writer, in its own process: the practice's systems posting small
 * transactions (two new vital-sign Observations) to patients *other* than those being
 * synced, W per second, until SIGTERM; then prints a JSON summary.
 *
 * Through the FHIR write API when the server has it: `POST /fhir` with a transaction
 * Bundle (https://hl7.org/fhir/R4/http.html#transaction) as staff (HTTP Basic). A server
 * without it (404/405 on POST /fhir) gets the documented fallback: this process writes the
 * same resources through the store (`store.transaction`, its own connection to the same
 * database), which moves the same cache versions the HTTP API would; the summary says
 * which mode ran.
 *
 * Usage: tsx bench/writer.ts JSON_OPTIONS
 *   { base, staff: { username, password }, databaseUrl, patients: [id…], rate }
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/config.js';
import { createServices, type Services } from '../src/services.js';
import { transactionOf, vitalSigns } from './write-bundle.js';

interface Options {
  base: string;
  staff: { username: string; password: string };
  databaseUrl: string;
  patients: string[];
  rate: number;
}

const options = JSON.parse(process.argv[2]) as Options;
const auth = `Basic ${Buffer.from(`${options.staff.username}:${options.staff.password}`).toString('base64')}`;
let sent = 0;
let failed = 0;
let inFlight = 0;
const latencies: number[] = [];
let n = 0;

async function httpMode(): Promise<boolean> {
  const res = await fetch(`${options.base}/fhir`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [] }),
  });
  await res.arrayBuffer();
  return res.status === 200;
}

let services: Services | undefined;
const mode = (await httpMode()) ? 'http' : 'store';
if (mode === 'store') {
  const config = loadConfig({}, { databaseUrl: options.databaseUrl, demo: false, logLevel: 'warn' });
  services = await createServices(config);
}

async function writeOne(): Promise<void> {
  const patient = options.patients[n++ % options.patients.length];
  const resources = vitalSigns(patient, n);
  const started = process.hrtime.bigint();
  try {
    if (mode === 'http') {
      const res = await fetch(`${options.base}/fhir`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/fhir+json' }, body: JSON.stringify(transactionOf(resources)) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    } else {
      await services!.store.transaction((tx) => tx.putMany(resources.map((r) => ({ ...r, id: randomUUID() }))));
    }
    sent++;
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  } catch (e) {
    failed++;
    if (failed <= 3) process.stderr.write(`writer: ${(e as Error).message}\n`);
  }
}

const timer = setInterval(() => {
  if (inFlight >= 4) return; // the server is behind: skip rather than pile up
  inFlight++;
  void writeOne().finally(() => inFlight--);
}, 1000 / options.rate);
const started = Date.now();
process.stdout.write(`ready ${mode}\n`);

process.on('SIGTERM', async () => {
  clearInterval(timer);
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  await services?.close();
  latencies.sort((a, b) => a - b);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ mode, transactions: sent, failed, perSecond: sent / seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? 0 }) + '\n');
  process.exit(0);
});
