import { type Migration, types } from './types.js';

/**
 * FHIR storage. `resources` holds the current version of every resource as its exact
 * JSON text (served without re-serialising); `resource_history` keeps the earlier versions.
 * The idx_* tables are the search index, keyed by resources.seq and written in the same
 * transaction as the resource. `compartment` and `refs` feed the patient scope.
 * `seq` is assigned at creation and never changes: it is the default sort order and the
 * key of stable paging.
 */
export const fhirSchema: Migration = {
  id: '001-fhir',
  sql(dialect) {
    const t = types(dialect);
    return `
CREATE TABLE resources (
  seq ${t.seq},
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  content TEXT NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX resources_type_updated ON resources (type, last_updated);

CREATE TABLE resource_history (
  res BIGINT NOT NULL,
  version INTEGER NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  content TEXT NOT NULL,
  PRIMARY KEY (res, version)
);

CREATE TABLE compartment (
  patient TEXT NOT NULL,
  res BIGINT NOT NULL,
  PRIMARY KEY (patient, res)
);
CREATE INDEX compartment_res ON compartment (res);

CREATE TABLE refs (
  res BIGINT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL
);
CREATE INDEX refs_target ON refs (target_type, target_id, res);
CREATE INDEX refs_res ON refs (res);

CREATE TABLE idx_token (
  res BIGINT NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  system ${t.ctext} NOT NULL,
  code ${t.ctext} NOT NULL,
  text ${t.ctext} NOT NULL
);
CREATE INDEX idx_token_code ON idx_token (type, param, code, res);
CREATE INDEX idx_token_system ON idx_token (type, param, system, res);
CREATE INDEX idx_token_res ON idx_token (res);

CREATE TABLE idx_string (
  res BIGINT NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  value ${t.ctext} NOT NULL,
  exact ${t.ctext} NOT NULL
);
CREATE INDEX idx_string_value ON idx_string (type, param, value, res);
CREATE INDEX idx_string_res ON idx_string (res);

CREATE TABLE idx_date (
  res BIGINT NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  lo BIGINT NOT NULL,
  hi BIGINT NOT NULL
);
CREATE INDEX idx_date_lo ON idx_date (type, param, lo, res);
CREATE INDEX idx_date_hi ON idx_date (type, param, hi, res);
CREATE INDEX idx_date_res ON idx_date (res);

CREATE TABLE idx_number (
  res BIGINT NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  value ${t.double} NOT NULL,
  lo ${t.double} NOT NULL,
  hi ${t.double} NOT NULL
);
CREATE INDEX idx_number_value ON idx_number (type, param, value, res);
CREATE INDEX idx_number_res ON idx_number (res);

CREATE TABLE idx_quantity (
  res BIGINT NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  value ${t.double} NOT NULL,
  lo ${t.double} NOT NULL,
  hi ${t.double} NOT NULL,
  system ${t.ctext} NOT NULL,
  code ${t.ctext} NOT NULL,
  unit ${t.ctext} NOT NULL
);
CREATE INDEX idx_quantity_value ON idx_quantity (type, param, value, res);
CREATE INDEX idx_quantity_res ON idx_quantity (res);

CREATE TABLE idx_reference (
  res BIGINT NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id ${t.ctext} NOT NULL,
  url ${t.ctext} NOT NULL
);
CREATE INDEX idx_reference_target ON idx_reference (type, param, target_id, res);
CREATE INDEX idx_reference_res ON idx_reference (res);

CREATE TABLE idx_uri (
  res BIGINT NOT NULL,
  type TEXT NOT NULL,
  param TEXT NOT NULL,
  value ${t.ctext} NOT NULL
);
CREATE INDEX idx_uri_value ON idx_uri (type, param, value, res);
CREATE INDEX idx_uri_res ON idx_uri (res);
`;
  },
};
