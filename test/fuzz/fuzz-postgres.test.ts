import { describe, it } from 'vitest';
import { postgresAvailable } from '../helpers/db.js';
import { fuzzSuite } from './suite.js';

/**
 * The fuzz suite (test/fuzz/fuzz.test.ts) on PostgreSQL: POSTGRES_SHARE of FUZZ_RUNS
 * requests (1,500 by default) with the same seed and the same rules. Part of `npm test`;
 * skipped with a notice only when no PostgreSQL answers (CI sets CHARTKEY_REQUIRE_PG=1,
 * which makes that an error instead). Its own file so that it runs in parallel with the
 * SQLite slice.
 */
if (await postgresAvailable()) fuzzSuite('postgres');
else describe('fuzzing on postgres', () => it.skip('PostgreSQL is not reachable'));
