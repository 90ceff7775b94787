import type { Migration } from './types.js';

/**
 * Patient controls (SPEC "Patient controls"): what a credential shares (a granted SMART
 * scope string, NULL = everything, and whether sensitive records are included), when it
 * expires, the previous secret kept (and the time before which tokens no longer count, when it is cut at once) for a grace period after "Replace secret", the expiry
 * reminder sent once; each API call's HTTP status; the networks a credential or grant was
 * used from; and the patient's notices (portal banners, mirrored by e-mail for Premium).
 */
export const patientControls: Migration = {
  id: '011-patient-controls',
  sql() {
    return `
ALTER TABLE api_credentials ADD COLUMN granted_scope TEXT;
ALTER TABLE api_credentials ADD COLUMN include_sensitive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_credentials ADD COLUMN expires_at BIGINT;
ALTER TABLE api_credentials ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE api_credentials ADD COLUMN previous_secret_until BIGINT;
ALTER TABLE api_credentials ADD COLUMN reminder_sent_at BIGINT;
ALTER TABLE api_credentials ADD COLUMN tokens_valid_from BIGINT;
CREATE INDEX api_credentials_expires ON api_credentials (expires_at);

ALTER TABLE api_access_log ADD COLUMN status INTEGER;

CREATE TABLE access_networks (
  subject_id TEXT NOT NULL,
  network TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  PRIMARY KEY (subject_id, network)
);

CREATE TABLE patient_notices (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  subject_name TEXT NOT NULL,
  detail TEXT,
  created_at BIGINT NOT NULL,
  dismissed_at BIGINT
);
CREATE INDEX patient_notices_patient ON patient_notices (patient_id, created_at);
`;
  },
};
