import type { StoreTx } from '../fhir/store/types.js';
import { addCounts, emptyCounts, importBundle, type ImportCounts, type ImportOptions, type ImportStore } from './import-bundle.js';

export interface ImportBundlesOptions extends Omit<ImportOptions, 'source'> {
  /** A batch is committed once it holds at least this many entries (default 20,000). */
  resourcesPerTransaction?: number;
  /** Names bundle `index` (0-based) in errors. Default "bundle <index>". */
  source?: (index: number) => string;
  /** After each commit: bundles and entries stored so far. */
  onCommit?: (progress: { bundles: number; totals: ImportCounts }) => void;
}

export const RESOURCES_PER_TRANSACTION = 20_000;

/**
 * Imports a sequence of bundles several per store transaction — for generated data
 * (`chartkey generate`, the bench), where a bundle never fails on its own. The unit of
 * atomicity is the batch: an error in any bundle rolls its whole batch back (earlier
 * batches stay stored) and is thrown. Files are imported one transaction each instead
 * (importFiles), so that a broken file stores nothing and the others stay imported.
 *
 * Why batch: a patient's ~250 resources touch some 3,000 B-tree pages scattered across
 * the index tables; each commit writes every page it dirtied to the WAL. Within one
 * transaction a page shared by several patients (the end of a code's run in idx_token,
 * the tables' last pages) is written once (docs/performance.md, Import).
 */
export async function importBundles(store: ImportStore, bundles: Iterable<unknown>, options: ImportBundlesOptions = {}): Promise<ImportCounts> {
  const { resourcesPerTransaction = RESOURCES_PER_TRANSACTION, source = (i: number) => `bundle ${i}`, onCommit, ...rest } = options;
  const totals = emptyCounts();
  const it = bundles[Symbol.iterator]();
  let index = 0;
  let done = false;
  while (!done) {
    const first = index;
    const batch = await store.transaction(async (tx) => {
      const inBatch = sameTransaction(store, tx);
      const counts = emptyCounts();
      while (counts.resources < resourcesPerTransaction) {
        const next = it.next();
        if (next.done) {
          done = true;
          break;
        }
        addCounts(counts, await importBundle(inBatch, next.value, { ...rest, source: source(index++) }));
      }
      return counts;
    });
    addCounts(totals, batch);
    if (index > first) onCommit?.({ bundles: index, totals: { ...totals } });
  }
  return totals;
}

/** The store as seen from inside one of its transactions: a nested transaction is that transaction. */
function sameTransaction(store: ImportStore, tx: StoreTx): ImportStore {
  return { registry: store.registry, transaction: (fn) => fn(tx) };
}
