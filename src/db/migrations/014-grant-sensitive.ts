import type { Migration } from './types.js';

/**
 * Patient controls for connected apps: the consent page offers "Include sensitive
 * information" like the generation form (unticked by default); the grant remembers the
 * patient's choice. Existing grants keep leaving sensitive records out (0), as before.
 */
export const grantSensitive: Migration = {
  id: '014-grant-sensitive',
  sql() {
    return 'ALTER TABLE oauth_grants ADD COLUMN include_sensitive INTEGER NOT NULL DEFAULT 0;';
  },
};
