import type { AddressInfo } from 'node:net';
import { buildApp } from '../app.js';
import { seedDemo } from '../demo/seed.js';
import { startMaintenance } from '../ops/maintenance.js';
import { securePrivateData } from '../ops/private-files.js';
import { createServices } from '../services.js';
import { parseArgs } from './args.js';
import { tlsOptions } from './tls.js';
import type { CliCommand } from './types.js';

/** SPEC Operations: SIGTERM "exits within 10 seconds". Requests still running after this are cut. */
const DRAIN_MS = 7000;
/** Past this the process exits whatever is left (before an orchestrator's SIGKILL at 10 s). */
const HARD_STOP_MS = 9500;

const command: CliCommand = {
  name: 'serve',
  usage:
    'chartkey serve [--port N] [--host H]   (environment: PORT, HOST, DATABASE_URL, REDIS_URL, PUBLIC_URL, SMTP_URL, LOG_LEVEL, TLS_CERT_FILE, TLS_KEY_FILE)',
  async run(args, ctx) {
    const { flags } = parseArgs(args, ['port', 'host']);
    const port = flags.has('port') ? Number(flags.get('port')) : ctx.config.port;
    const host = (flags.get('host') as string | undefined) ?? ctx.config.host;
    const https = tlsOptions(ctx.config);
    const scheme = https ? 'https' : 'http';
    const config = { ...ctx.config, port, publicUrl: process.env.PUBLIC_URL ? ctx.config.publicUrl : `${scheme}://localhost:${port}` };
    // The data directory 0700 and the database files 0600 before anything is written (docs/operations.md).
    const narrowed = securePrivateData(config);
    const services = await createServices(Object.freeze(config));
    for (const t of narrowed) services.logger.warn({ path: t.path, from: t.from, to: t.to }, 'narrowed the permissions of a data file or folder to its owner only');
    for (const warning of await services.db.configurationWarnings()) services.logger.warn(warning);
    const demo = config.demo ? await seedDemo(services) : undefined;
    const app = await buildApp(config, services, { https });
    await app.listen({ port, host });
    const stopMaintenance = startMaintenance(services);
    const bound = (app.server.address() as AddressInfo).port;

    // Graceful stop (SPEC Operations): no new connections; requests in flight finish (new
    // requests on kept-alive connections get 503 from Fastify meanwhile); then the access
    // log and the logger are flushed and the database closed. Bounded: whatever still
    // runs after DRAIN_MS is cut, and the process exits by HARD_STOP_MS regardless.
    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      const { logger } = services;
      logger.info({ signal }, 'shutting down: draining requests in flight');
      const hardStop = setTimeout(() => {
        logger.error('shutdown did not finish in time; exiting');
        logger.flush();
        process.exit(1);
      }, HARD_STOP_MS);
      hardStop.unref();
      const drain = setTimeout(() => app.server.closeAllConnections(), DRAIN_MS);
      drain.unref();
      let code = 0;
      try {
        stopMaintenance();
        await app.close();
        clearTimeout(drain);
        await services.close();
        logger.info('shut down cleanly');
      } catch (err) {
        logger.error({ err }, 'shutdown failed');
        code = 1;
      }
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      process.exit(code);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));

    // Announced only now: whoever starts the server on this line (an orchestrator, a test)
    // may signal it at once, and a signal before the handlers above would kill it outright.
    const out = ctx.stdout;
    out.write(`\nChartKey is running on ${config.publicUrl}\n`);
    out.write(`  Listening on:    ${scheme}://${host.includes(':') ? `[${host}]` : host}:${bound}\n`);
    out.write(`  Patient portal:  ${config.publicUrl}/portal/login\n`);
    out.write(`  Practice admin:  ${config.publicUrl}/admin/login\n`);
    out.write(`  FHIR base URL:   ${config.publicUrl}/fhir\n`);
    out.write(`  Database:        ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}\n`);
    if (demo) out.write(demo);
    return -1;
  },
};
export default command;
