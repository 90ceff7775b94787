import type { Migration } from './types.js';

/**
 * One counter that every FHIR write transaction moves before it commits. A cached read
 * or search result is tagged with the counter it was computed under and served only
 * while the counter has not moved, so caches stay exact across processes and instances
 * sharing the database (src/fhir/cache/).
 */
export const dataVersion: Migration = {
  id: '007-data-version',
  sql: () => `
CREATE TABLE fhir_data_version (
  id INTEGER PRIMARY KEY,
  v BIGINT NOT NULL
);
INSERT INTO fhir_data_version (id, v) VALUES (1, 0);
`,
};
