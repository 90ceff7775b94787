/**
 * Indexing throughput on the shared Synthea data (one core, no database): run with
 * `npx tsx test/fhir/search/index-throughput.ts`. A measurement, not a test: timings are
 * never asserted (SPEC.md, Performance).
 */
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { loadRegistry } from '../../../src/fhir/search/registry.js';
import { loadSampleFiles, sampleDataAvailable } from './sample-data.js';

if (!sampleDataAvailable()) process.exit(0);
const registry = loadRegistry();
const resources = loadSampleFiles()
  .filter((f) => f.file.includes('/synthea/'))
  .flatMap((f) => f.resources);

let rows = 0;
for (let round = 0; round < 2; round++) for (const r of resources) indexResource(r, registry); // warm-up
const rounds = 5;
const start = performance.now();
for (let round = 0; round < rounds; round++) {
  for (const r of resources) {
    const x = indexResource(r, registry);
    rows += x.tokens.length + x.strings.length + x.dates.length + x.references.length + x.quantities.length + x.uris.length + x.numbers.length;
  }
}
const seconds = (performance.now() - start) / 1000;
const n = resources.length * rounds;
console.log(`${n} resources in ${seconds.toFixed(2)} s: ${Math.round(n / seconds)} resources/s, ${(rows / n).toFixed(1)} rows/resource`);
