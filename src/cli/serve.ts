import { buildApp } from '../app.js';
import { seedDemo } from '../demo/seed.js';
import { startMaintenance } from '../ops/maintenance.js';
import { createServices } from '../services.js';
import { parseArgs } from './args.js';
import type { CliCommand } from './types.js';

const command: CliCommand = {
  name: 'serve',
  usage: 'chartkey serve [--port N] [--host H]   (environment: PORT, HOST, DATABASE_URL, REDIS_URL, PUBLIC_URL, SMTP_URL, LOG_LEVEL)',
  async run(args, ctx) {
    const { flags } = parseArgs(args, ['port', 'host']);
    const port = flags.has('port') ? Number(flags.get('port')) : ctx.config.port;
    const host = (flags.get('host') as string | undefined) ?? ctx.config.host;
    const config = { ...ctx.config, port, publicUrl: process.env.PUBLIC_URL ? ctx.config.publicUrl : `http://localhost:${port}` };
    const services = await createServices(Object.freeze(config));
    const demo = config.demo ? await seedDemo(services) : undefined;
    const app = await buildApp(config, services);
    await app.listen({ port, host });
    const stopMaintenance = startMaintenance(services);

    const out = ctx.stdout;
    out.write(`\nChartKey is running on ${config.publicUrl}\n`);
    out.write(`  Patient portal:  ${config.publicUrl}/portal/login\n`);
    out.write(`  Practice admin:  ${config.publicUrl}/admin/login\n`);
    out.write(`  FHIR base URL:   ${config.publicUrl}/fhir\n`);
    out.write(`  Database:        ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}\n`);
    if (demo) out.write(demo);

    let closing = false;
    const shutdown = async (signal: string) => {
      if (closing) return;
      closing = true;
      services.logger.info({ signal }, 'shutting down');
      stopMaintenance();
      await app.close();
      await services.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    return -1;
  },
};
export default command;
