import { fuzzSuite } from './suite.js';

/**
 * Hostile input at scale (issue 13, part 4): property-based fuzzing of search parameters,
 * paths, headers, form bodies and JSON bodies, as patient A. For every generated request:
 * no 5xx, no crash or hang, FHIR errors are OperationOutcomes, OAuth errors RFC 6749
 * JSON, and nothing of patient B's comes back (test/fuzz/oracle.ts).
 *
 * This file: FUZZ_RUNS (default 10,000) requests through app.inject on SQLite plus a
 * slice over a real socket, with a fixed seed. The PostgreSQL slice is
 * test/fuzz/fuzz-postgres.test.ts. Longer local runs (knobs: test/fuzz/suite.ts):
 *   FUZZ_SEED=7 FUZZ_RUNS=100000 npx vitest run test/fuzz
 * A failure prints the seed, fast-check's replay path and the shrunk request.
 */
fuzzSuite('sqlite');
