import type { Migration } from './types.js';

/**
 * Finer versions for the result cache (src/fhir/cache/): one row per patient whose
 * compartment a committed write touched (k = the patient id), and one row `*` moved by
 * writes that can change what every patient sees (shared resources, Provenance outside
 * any compartment, resources moving between compartments that a Provenance names). A
 * patient's cached result is served only while its own row and `*` are unchanged, so a
 * write to patient X leaves patient Y's entries valid. `fhir_data_version` still moves on
 * every write (staff, `all`-scope results depend on everything).
 */
export const cacheVersions: Migration = {
  id: '012-cache-versions',
  sql: () => `
CREATE TABLE fhir_cache_versions (
  k TEXT PRIMARY KEY,
  v BIGINT NOT NULL
);
`,
};
