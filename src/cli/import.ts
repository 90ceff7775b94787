import { BULK_LOAD } from '../db/open.js';
import { importFiles, type ImportFilesResult, type ImportProgress } from '../importer/index.js';
import { parseArgs, UsageError } from './args.js';
import { withServices } from './context.js';
import type { CliCommand, CliContext } from './types.js';

/**
 * `chartkey import PATH...` (SPEC.md, Outside contract): FHIR R4 Bundles (transaction,
 * batch, collection), single resources and NDJSON files or folders of them. One store
 * transaction per file; a bad file stores nothing, names the file and entry, and makes the
 * exit code 1 — the other files stay imported.
 */
const command: CliCommand = {
  name: 'import',
  usage:
    'chartkey import PATH...   (.json Bundles or resources, .ndjson files, or folders of them read recursively in name order)',
  async run(args, ctx) {
    let paths: string[];
    try {
      paths = parseArgs(args, []).positionals;
      if (paths.length === 0) throw new UsageError('give at least one file or folder');
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      ctx.stderr.write(`chartkey import: ${err.message}\nUsage: ${command.usage}\n`);
      return 2;
    }
    return withServices(ctx, async ({ store }) => {
      const bar = ctx.interactive ? progressBar(ctx) : undefined;
      const result = await importFiles(store, paths, {
        onProgress: (p) => {
          bar?.update(p);
          if (p.kind === 'failed' && p.error) {
            bar?.clear();
            ctx.stderr.write(`chartkey import: ${p.error.message}\n`);
          }
        },
      });
      bar?.clear();
      if (result.created + result.updated > 0) await store.db.analyze();
      ctx.stdout.write(`${summary(result)}\n`);
      if (result.failures.length) {
        ctx.stderr.write(
          `chartkey import: ${result.failures.length} of ${result.files} file(s) failed and stored nothing; ` +
            `the other ${result.imported} file(s) are imported.\n`,
        );
        return 1;
      }
      return 0;
    }, { bulkLoad: BULK_LOAD });
  },
};
export default command;

export function summary(r: ImportFilesResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const rate = r.seconds > 0 ? Math.round(r.resources / r.seconds) : 0;
  return (
    `Imported ${n(r.imported)} of ${n(r.files)} file(s): ${n(r.resources)} resources ` +
    `(${n(r.created)} created, ${n(r.updated)} updated, ${n(r.unchanged)} unchanged` +
    `${r.deleted ? `, ${n(r.deleted)} deleted` : ''}) in ${r.seconds.toFixed(1)} s (${n(rate)} resources/s)`
  );
}

/** One redrawn line on stderr: bar, file k of n, resources and resources/s. */
function progressBar(ctx: CliContext): { update(p: ImportProgress): void; clear(): void } {
  const started = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(p) {
      const now = performance.now();
      if (p.kind === 'lines' && now - last < 100) return;
      if (p.fileCount === 0) return;
      last = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? Math.round(p.totals.resources / seconds) : 0;
      const done = p.kind === 'start' || p.kind === 'lines' ? p.fileIndex - 1 : p.fileIndex;
      const width = 24;
      const filled = Math.round((done / p.fileCount) * width);
      const name = p.file.length > 40 ? `…${p.file.slice(-39)}` : p.file;
      const retry = p.kind === 'deferred' ? ' (retrying later)' : '';
      ctx.stderr.write(
        `\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] file ${p.fileIndex} of ${p.fileCount}  ` +
          `${p.totals.resources.toLocaleString('en-US')} resources  ${rate.toLocaleString('en-US')}/s  ${name}${retry}\x1b[K`,
      );
      shown = true;
    },
    clear() {
      if (shown) ctx.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
