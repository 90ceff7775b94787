/**
 * The importer: FHIR R4 Bundles, single resources and NDJSON → store transactions
 * (SPEC.md, `chartkey import`; used by the CLI and by the generator).
 *
 * Decisions, in one place:
 * - Unit of atomicity: one store transaction per Bundle, per single-resource file and per
 *   NDJSON file. Batch bundles are atomic too (see import-bundle.ts for why).
 * - Ids are kept: PUT url id, else resource.id, else the fullUrl's uuid/oid/id, else a
 *   content-derived uuid (fhir-id.ts). Re-importing the same input writes no new version
 *   (the store compares content), which also defuses Synthea's PractitionerRole POSTs
 *   without ifNoneExist.
 * - ifNoneExist: one match → the entry's fullUrl points at it and nothing is written;
 *   several → error (412); none → created.
 * - References: fullUrls (urn:uuid:, urn:oid:, absolute) → `Type/id`; `Type?params` →
 *   `Type/id` of the single current match (database plus earlier entries of the same
 *   bundle), also inside contained resources; everything else — relative, absolute,
 *   `#contained`, identifier-only — is kept. Referential integrity of plain relative
 *   references is not enforced (US Core examples load one file at a time).
 * - Methods: POST, PUT (also conditional `PUT Type?params`), DELETE Type/id. Conditional
 *   DELETE, GET, HEAD and PATCH are rejected.
 * - Files: importFiles continues after a failing file (each file stands alone) and
 *   retries files whose only problem is a conditional reference with no match yet after
 *   the others, so Synthea output loads in any order.
 */
export { ImportError, describeLocation, type ImportErrorCode, type ImportLocation } from './errors.js';
export {
  importBundle,
  type BundleImportResult,
  type ImportCounts,
  type ImportOptions,
  type ImportStore,
} from './import-bundle.js';
export { importBundles, RESOURCES_PER_TRANSACTION, type ImportBundlesOptions } from './import-bundles.js';
export { importFiles, importFile, type ImportFilesOptions, type ImportFilesResult, type ImportProgress } from './import-files.js';
export { importNdjson } from './import-ndjson.js';
export { listFiles } from './sources.js';
export type { EntryOutcome, EntryOutcomeKind } from './execute-plan.js';
export { deterministicId } from './fhir-id.js';
