import type { Migration } from './types.js';

/**
 * The access log by time, for its retention purge (`ApiAccessLog.purgeOlderThan`, run by
 * the server's maintenance timer every 10 minutes). Without it every purge read the whole
 * log — every API call of the retention period, six years by default — whether or not
 * anything was due, and on SQLite it did so on the JavaScript thread. Entries arrive in
 * time order, so the index grows at its end.
 */
export const accessLogAt: Migration = {
  id: '017-access-log-at',
  sql() {
    return 'CREATE INDEX IF NOT EXISTS api_access_log_at ON api_access_log (at);';
  },
};
