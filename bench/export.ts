/**
 * Bulk Data export throughput (issue 10): a ChartKey server of its own (`dist/main.js`, as
 * `npm start` runs it) over an already loaded database, one system-level `$export` of
 * everything as a staff client, all files downloaded and counted. Reports resources/s from
 * kick-off to the manifest, the download rate, and the server's peak RSS during the export.
 *
 *   node --import tsx bench/export.ts DATABASE_URL      (after `npm run build` or scripts/build.mjs)
 */
import { loadConfig } from '../src/config/config.js';
import { createServices } from '../src/services.js';
import { peakRssMiB } from './proc.js';
import { benchPort, startServer } from './server.js';

export interface ExportMeasure {
  resources: number;
  files: number;
  /** Kick-off to manifest. */
  exportSeconds: number;
  resourcesPerSecond: number;
  downloadSeconds: number;
  downloadMiB: number;
  serverPeakRssMiB: number;
}

const USER = 'bench-export';
const PASSWORD = 'bench export password';

export async function benchExport(databaseUrl: string, log: (s: string) => void = () => undefined): Promise<ExportMeasure> {
  const services = await createServices(loadConfig({ DATABASE_URL: databaseUrl, CHARTKEY_DEMO: '0', LOG_LEVEL: 'warn' }));
  try {
    if (!(await services.staff.verify(USER, PASSWORD))) await services.staff.create(USER, PASSWORD);
  } finally {
    await services.close();
  }
  const { proc: server, base } = await startServer({ databaseUrl, port: benchPort() });
  try {
    const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const started = performance.now();
    const kick = await fetch(`${base}/fhir/$export`, { headers: { authorization: auth, accept: 'application/fhir+json', prefer: 'respond-async' } });
    if (kick.status !== 202) throw new Error(`kick-off answered ${kick.status}: ${await kick.text()}`);
    const status = kick.headers.get('content-location')!;
    let manifest: { output: Array<{ type: string; url: string; count: number }> };
    for (;;) {
      const res = await fetch(status, { headers: { authorization: auth } });
      if (res.status === 200) {
        manifest = (await res.json()) as typeof manifest;
        break;
      }
      if (res.status !== 202) throw new Error(`status answered ${res.status}: ${await res.text()}`);
      log(`\r  export: ${res.headers.get('x-progress')}\x1b[K`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const exportSeconds = (performance.now() - started) / 1000;
    const rss = peakRssMiB(server.pid!);
    const resources = manifest.output.reduce((s, f) => s + f.count, 0);
    log(`\r  export: ${resources} resources in ${exportSeconds.toFixed(1)} s\x1b[K\n`);
    const dl = performance.now();
    let bytes = 0;
    let lines = 0;
    for (const f of manifest.output) {
      const res = await fetch(f.url, { headers: { authorization: auth, accept: 'application/fhir+ndjson' } });
      if (res.status !== 200) throw new Error(`file answered ${res.status}`);
      for await (const chunk of res.body!) {
        const b = chunk as Uint8Array;
        bytes += b.length;
        for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
      }
    }
    const downloadSeconds = (performance.now() - dl) / 1000;
    if (lines !== resources) throw new Error(`downloaded ${lines} lines, the manifest counts ${resources}`);
    await fetch(status, { method: 'DELETE', headers: { authorization: auth } });
    return {
      resources,
      files: manifest.output.length,
      exportSeconds,
      resourcesPerSecond: Math.round(resources / exportSeconds),
      downloadSeconds,
      downloadMiB: bytes / 1024 / 1024,
      serverPeakRssMiB: Math.round(Math.max(rss, peakRssMiB(server.pid!))),
    };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2];
  if (!url) throw new Error('usage: node --import tsx bench/export.ts DATABASE_URL');
  const m = await benchExport(url, (s) => process.stderr.write(s));
  process.stdout.write(`${JSON.stringify(m, null, 2)}\n`);
}
