/** The importer: FHIR Bundles, single resources and NDJSON → store transactions. */
export { ImportError, describeLocation, type ImportErrorCode, type ImportLocation } from './errors.js';
export {
  importBundle,
  type BundleImportResult,
  type ImportCounts,
  type ImportOptions,
  type ImportStore,
} from './import-bundle.js';
export { importFiles, importFile, type ImportFilesOptions, type ImportFilesResult, type ImportProgress } from './import-files.js';
export { importNdjson } from './import-ndjson.js';
export { listFiles } from './sources.js';
export type { EntryOutcome, EntryOutcomeKind } from './execute-plan.js';
export { deterministicId } from './fhir-id.js';
