import { type Migration, types } from './types.js';

/**
 * Patient portal, practice settings, sessions, API credentials, audit trail and the API
 * access log. Credentials keep only a keyed hash of the secret (HMAC-SHA-256 under the
 * server key in `server_secrets`); sessions and activation tokens keep only SHA-256 of the
 * random value the browser holds.
 */
export const portalSchema: Migration = {
  id: '003-portal',
  sql(dialect) {
    const t = types(dialect);
    return `
CREATE TABLE server_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE practice_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT
);

CREATE TABLE portal_accounts (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL UNIQUE,
  username TEXT UNIQUE,
  email TEXT,
  password_hash TEXT,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  edition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT
);

CREATE TABLE portal_activations (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX portal_activations_account ON portal_activations (account_id);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (kind, subject_id);

CREATE TABLE signin_failures (
  bucket TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX signin_failures_bucket ON signin_failures (bucket, at);

CREATE TABLE api_credentials (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  client_key TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  suspended INTEGER NOT NULL DEFAULT 0,
  revoked_at BIGINT,
  revoked_by TEXT
);
CREATE INDEX api_credentials_patient ON api_credentials (patient_id, created_at);

CREATE TABLE api_access_log (
  seq ${t.seq},
  credential_id TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  interaction TEXT NOT NULL,
  resource_type TEXT,
  resource_count INTEGER NOT NULL DEFAULT 0,
  ip TEXT
);
CREATE INDEX api_access_log_credential ON api_access_log (credential_id, at);
CREATE INDEX api_access_log_patient ON api_access_log (patient_id, at);

CREATE TABLE audit_events (
  seq ${t.seq},
  at BIGINT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  action TEXT NOT NULL,
  patient_id TEXT,
  credential_id TEXT,
  ip TEXT,
  detail TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_patient ON audit_events (patient_id, at);
CREATE INDEX audit_events_action ON audit_events (action, at);
`;
  },
};
