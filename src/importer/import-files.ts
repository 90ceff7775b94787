import { stat } from 'node:fs/promises';
import { atLocation, ImportError } from './errors.js';
import { addCounts, emptyCounts, importBundle, type ImportCounts, type ImportOptions, type ImportStore } from './import-bundle.js';
import { importNdjson } from './import-ndjson.js';
import { listFiles, readJsonFile, sourceKind } from './sources.js';

export interface ImportProgress {
  /** `start`: a file begins; `lines`: NDJSON progress inside a file; `done`/`failed`/`deferred`: a file ends. */
  kind: 'start' | 'lines' | 'done' | 'failed' | 'deferred';
  file: string;
  /** 1-based position of the file in this attempt (k of n). */
  fileIndex: number;
  fileCount: number;
  /** Totals over the whole run so far (including the current file's lines for `lines`). */
  totals: ImportCounts;
  error?: ImportError;
}

export interface ImportFilesOptions extends Omit<ImportOptions, 'source'> {
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Retry files that failed only because a conditional reference matched nothing yet,
   * after all other files (default true). This makes the order of files irrelevant for
   * Synthea output, whose patient bundles sort before hospitalInformation*.json.
   */
  retryUnresolved?: boolean;
}

export interface ImportFilesResult extends ImportCounts {
  /** Files attempted. */
  files: number;
  /** Files stored completely. */
  imported: number;
  /** One error per file that stored nothing. */
  failures: ImportError[];
  seconds: number;
}

/**
 * Imports files and folders (see listFiles): each .json file (Bundle or single resource)
 * and each .ndjson file in its own store transaction, so a bad file stores nothing while
 * the files before and after it stay imported. A file whose only problem is a conditional
 * reference that does not resolve yet is retried after the rest, as long as retries make
 * progress; what still fails is reported in `failures` (never thrown).
 */
export async function importFiles(store: ImportStore, paths: readonly string[], options: ImportFilesOptions = {}): Promise<ImportFilesResult> {
  const started = performance.now();
  const totals = emptyCounts();
  const failures: ImportError[] = [];
  let imported = 0;
  let queue = await listFiles(paths);
  const files = queue.length;

  while (queue.length) {
    const retry: Array<{ file: string; error: ImportError }> = [];
    for (let k = 0; k < queue.length; k++) {
      const file = queue[k];
      const progress = (kind: ImportProgress['kind'], t: ImportCounts, error?: ImportError) =>
        options.onProgress?.({ kind, file, fileIndex: k + 1, fileCount: queue.length, totals: t, error });
      progress('start', totals);
      try {
        const counts = await importFile(store, file, options, (lines) => progress('lines', addCounts({ ...totals }, lines)));
        addCounts(totals, counts);
        imported++;
        progress('done', totals);
      } catch (err) {
        const error = err instanceof ImportError ? err : atLocation(err, { source: file });
        if (error.retryable && options.retryUnresolved !== false) {
          retry.push({ file, error });
          progress('deferred', totals, error);
        } else {
          failures.push(error);
          progress('failed', totals, error);
        }
      }
    }
    const progressed = retry.length < queue.length;
    if (!progressed) {
      // Nothing imported in this round: the remaining references will never resolve.
      for (const r of retry) {
        failures.push(r.error);
        options.onProgress?.({ kind: 'failed', file: r.file, fileIndex: 0, fileCount: 0, totals, error: r.error });
      }
      break;
    }
    queue = retry.map((r) => r.file);
  }
  return { files, imported, failures, seconds: (performance.now() - started) / 1000, ...totals };
}

/** One file in one transaction. */
export async function importFile(
  store: ImportStore,
  file: string,
  options: Omit<ImportOptions, 'source'> = {},
  onLines?: (counts: ImportCounts) => void,
): Promise<ImportCounts> {
  const kind = sourceKind(file);
  const info = await stat(file).catch((err: Error) => {
    throw new ImportError('unreadable_file', `cannot read: ${err.message}`, { source: file }, { cause: err });
  });
  if (!info.isFile()) throw new ImportError('unreadable_file', 'not a file', { source: file });
  if (kind === 'ndjson') return importNdjson(store, file, { ...options, source: file, onLines });
  if (kind !== 'json') throw new ImportError('unreadable_file', 'unsupported file type (expected .json or .ndjson)', { source: file });
  const result = await importBundle(store, await readJsonFile(file), { ...options, source: file });
  const { resources, created, updated, unchanged, deleted } = result;
  return { resources, created, updated, unchanged, deleted };
}
