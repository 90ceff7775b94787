import type { Migration } from './types.js';

/**
 * Index tables keyed by (res, param, value) instead of (res) alone. A search drives from
 * its most selective clause and checks the others per candidate with
 * `EXISTS (… WHERE x.res = r.seq AND x.param = ? AND …)`; with the parameter and value in
 * the index that check is one B-tree seek instead of a scan of every row of the resource
 * (a patient's 500 Observations filtered by category went from ~1 ms to ~0.1 ms on SQLite).
 */
export const indexByResource: Migration = {
  id: '005-index-by-resource',
  sql: () => `
DROP INDEX idx_token_res;
CREATE INDEX idx_token_res ON idx_token (res, param, code, system);
DROP INDEX idx_string_res;
CREATE INDEX idx_string_res ON idx_string (res, param, value);
DROP INDEX idx_date_res;
CREATE INDEX idx_date_res ON idx_date (res, param, lo, hi);
DROP INDEX idx_number_res;
CREATE INDEX idx_number_res ON idx_number (res, param, value);
DROP INDEX idx_quantity_res;
CREATE INDEX idx_quantity_res ON idx_quantity (res, param, value);
DROP INDEX idx_reference_res;
CREATE INDEX idx_reference_res ON idx_reference (res, param, target_id);
DROP INDEX idx_uri_res;
CREATE INDEX idx_uri_res ON idx_uri (res, param, value);
`,
};
