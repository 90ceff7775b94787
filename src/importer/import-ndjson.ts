import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ImportError, atLocation } from './errors.js';
import { executePlan } from './execute-plan.js';
import { countOutcomes, emptyCounts, planContext, planResource, type ImportCounts, type ImportOptions, type ImportStore } from './import-bundle.js';
import { ReferenceResolver } from './reference-resolver.js';

export interface NdjsonOptions extends ImportOptions {
  /** Called every `progressEvery` lines with the counts so far. */
  onLines?: (counts: ImportCounts) => void;
  progressEvery?: number;
}

/**
 * Imports an NDJSON file (one resource per line, as FHIR Bulk Data writes them,
 * https://hl7.org/fhir/uv/bulkdata/export.html#file-format) streamed line by line inside
 * ONE store transaction: like a bundle, the file is stored whole or not at all, and an
 * error names the file and the 1-based line. Blank lines are ignored. References follow
 * the bundle rules, except that there are no fullUrls, so a `urn:uuid:` reference is an
 * error. Two lines for the same Type/id are an error (a re-import would otherwise flip
 * between the two versions).
 */
export async function importNdjson(store: ImportStore, path: string, options: NdjsonOptions = {}): Promise<ImportCounts> {
  const ctx = planContext({ ...options, source: options.source ?? path }, store);
  const every = options.progressEvery ?? 1000;
  return store.transaction(async (tx) => {
    const resolver = new ReferenceResolver(tx, ctx.isKnownType);
    const counts = emptyCounts();
    const seen = new Map<string, number>();
    const stream = createReadStream(path, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const text of lines) {
        line++;
        if (!text.trim()) continue;
        const loc = { source: ctx.source, line };
        let json: unknown;
        try {
          json = JSON.parse(line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
        } catch (err) {
          throw new ImportError('invalid_json', `not JSON: ${(err as Error).message}`, loc, { cause: err });
        }
        const entry = planResource(json, ctx, loc);
        const key = `${entry.type}/${entry.id}`;
        const prior = seen.get(key);
        if (prior !== undefined) {
          if (entry.generatedId) continue; // identical content, already written
          throw new ImportError('duplicate_entry', `${key} is also on line ${prior}`, entry.loc);
        }
        seen.set(key, line);
        countOutcomes(await executePlan(tx, [entry], resolver), counts);
        if (options.onLines && counts.resources % every === 0) options.onLines(counts);
      }
    } catch (err) {
      if (err instanceof ImportError) throw err;
      throw atLocation(err, { source: ctx.source, line });
    } finally {
      lines.close();
      stream.destroy();
    }
    return counts;
  });
}
