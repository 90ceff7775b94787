import type { Migration } from './types.js';

/** Practice staff accounts. */
export const staffSchema: Migration = {
  id: '002-staff',
  sql: () => `
CREATE TABLE staff_users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0
);
`,
};
