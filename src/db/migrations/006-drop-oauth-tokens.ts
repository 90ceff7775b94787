import type { Migration } from './types.js';

/**
 * Access tokens became signed and self-contained (src/auth/tokens.ts): issuing one writes
 * nothing and verifying one checks its signature and then the credential, so the table of
 * token hashes from 004-oauth is no longer read or written. Tokens issued before the
 * upgrade (opaque, in that table) stop working: clients ask for a new one, as they do
 * every hour anyway. Dropping the table drops its indexes on both databases. Upgrade every
 * instance together: an older instance still serving after this would fail to issue
 * tokens (its INSERT finds no table) and would refuse the new ones.
 */
export const dropOauthTokens: Migration = {
  id: '006-drop-oauth-tokens',
  sql: () => `
DROP TABLE oauth_tokens;
`,
};
