import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatePatients, generateProviders } from '../generate/index.js';
import { BULK_LOAD } from '../db/open.js';
import { importBundle, importBundles } from '../importer/index.js';
import { parseArgs, UsageError } from './args.js';
import { withServices } from './context.js';
import type { CliCommand, CliContext } from './types.js';

/**
 * `chartkey generate --patients N [--seed S] [--out DIR]` (SPEC.md, Outside contract):
 * synthetic US Core patients, deterministic for a seed. With --out, writes providers.json
 * and one <patient-id>.json transaction Bundle per patient; without it, imports the
 * providers and then the patients into the database, several patients per store
 * transaction (importBundles; an error rolls back its batch), with the bulk-load database
 * settings (BULK_LOAD: a large page cache for this process's SQLite connection).
 */
const command: CliCommand = {
  name: 'generate',
  usage: 'chartkey generate --patients N [--seed S] [--out DIR]',
  async run(args, ctx) {
    let options: { patients: number; seed: number; out?: string };
    try {
      options = parseOptions(args);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      ctx.stderr.write(`chartkey generate: ${err.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    const started = performance.now();
    const progress = ctx.interactive ? progressLine(ctx, options.patients) : undefined;
    let resources = 0;
    if (options.out !== undefined) {
      const dir = options.out;
      await mkdir(dir, { recursive: true });
      const providers = generateProviders(options.seed);
      await writeFile(join(dir, 'providers.json'), JSON.stringify(providers, null, 1) + '\n');
      resources += providers.entry.length;
      let done = 0;
      for (const bundle of generatePatients({ count: options.patients, seed: options.seed })) {
        const patientId = bundle.entry[0].resource.id;
        await writeFile(join(dir, `${patientId}.json`), JSON.stringify(bundle) + '\n');
        resources += bundle.entry.length;
        progress?.update(++done, resources);
      }
    } else {
      await withServices(
        ctx,
        async ({ store }) => {
          const providers = generateProviders(options.seed);
          await importBundle(store, providers, { source: `generated providers (seed ${options.seed})` });
          resources += providers.entry.length;
          const patients = await importBundles(store, generatePatients({ count: options.patients, seed: options.seed }), {
            source: (i) => `generated patient ${i} (seed ${options.seed})`,
            onCommit: (p) => progress?.update(p.bundles, resources + p.totals.resources),
          });
          resources += patients.resources;
          await store.db.analyze();
        },
        { bulkLoad: BULK_LOAD },
      );
    }
    progress?.clear();
    const seconds = (performance.now() - started) / 1000;
    const where = options.out !== undefined ? `written to ${options.out}` : 'imported';
    ctx.stdout.write(
      `Generated ${options.patients.toLocaleString('en-US')} patient(s) (seed ${options.seed}), ` +
        `${resources.toLocaleString('en-US')} resources ${where} in ${seconds.toFixed(1)} s\n`,
    );
    return 0;
  },
};
export default command;

export function parseOptions(args: string[]): { patients: number; seed: number; out?: string } {
  const { flags, positionals } = parseArgs(args, ['patients', 'seed', 'out']);
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const patientsRaw = flags.get('patients');
  if (patientsRaw === undefined) throw new UsageError('--patients N is required');
  const patients = integer('--patients', patientsRaw as string);
  if (patients < 1) throw new UsageError(`--patients must be a positive integer, got "${patientsRaw}"`);
  const seedRaw = flags.get('seed');
  const seed = seedRaw === undefined ? 1 : integer('--seed', seedRaw as string);
  const out = flags.get('out') as string | undefined;
  if (out !== undefined && out.trim() === '') throw new UsageError('--out needs a folder');
  return { patients, seed, ...(out !== undefined ? { out } : {}) };
}

function integer(flag: string, raw: string): number {
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`${flag} must be an integer, got "${raw}"`);
  return Number(raw);
}

function progressLine(ctx: CliContext, total: number): { update(done: number, resources: number): void; clear(): void } {
  let last = 0;
  return {
    update(done, resources) {
      const now = performance.now();
      if (done !== total && now - last < 100) return;
      last = now;
      ctx.stderr.write(`\rpatient ${done} of ${total}  ${resources.toLocaleString('en-US')} resources\x1b[K`);
    },
    clear() {
      ctx.stderr.write('\r\x1b[K');
    },
  };
}
