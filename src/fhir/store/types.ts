import type { Scope } from '../scope.js';

/** A FHIR resource as parsed JSON. Only resourceType is known statically. */
export interface Resource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; [k: string]: unknown };
  [key: string]: unknown;
}

/** One stored version, as the store hands it out: the exact JSON text is served as is. */
export interface StoredResource {
  type: string;
  id: string;
  version: number;
  /** Epoch milliseconds. */
  lastUpdated: number;
  deleted: boolean;
  /** The resource JSON including meta.versionId and meta.lastUpdated. */
  json: string;
}

export interface PutResult {
  type: string;
  id: string;
  version: number;
  /** False when the incoming content equalled the current version (nothing written). */
  changed: boolean;
  created: boolean;
}

/** Writes inside one database transaction (see FhirStore.transaction). */
export interface StoreTx {
  /**
   * Creates or updates `resource` under its `id` (which must be set): a new version only
   * when the content (ignoring meta.versionId/lastUpdated) differs from the current one.
   * Validates the basic shape; throws FhirError(400) on invalid input.
   */
  put(resource: Resource): Promise<PutResult>;
  /** `put` for many resources at once, in order, with a few statements per chunk (bulk import). */
  putMany(resources: readonly Resource[]): Promise<PutResult[]>;
  /** Marks a resource deleted (a new, empty version). No-op when absent. */
  delete(type: string, id: string): Promise<void>;
  /**
   * Ids of current resources of `type` matching FHIR search parameters, e.g.
   * (`Organization`, [['identifier', 'https://…|74ab…']]). Sees this transaction's writes.
   */
  searchIds(type: string, params: Array<[string, string]>): Promise<string[]>;
  /** Whether a current (not deleted) resource exists. Sees this transaction's writes. */
  exists(type: string, id: string): Promise<boolean>;
  /**
   * The current version of a resource, deleted or not (If-Match, write responses). On
   * PostgreSQL the row stays locked until the transaction ends, so a version checked here
   * is still the current one when the write that follows replaces it.
   */
  current(type: string, id: string): Promise<StoredResource | undefined>;
  /**
   * The current versions of many resources, keyed `type/id` (absent ones left out), a
   * statement per type: what a transaction answers with after its own writes, whose rows
   * it already holds. Takes no lock of its own.
   */
  currentMany(keys: ReadonlyArray<{ type: string; id: string }>): Promise<Map<string, StoredResource>>;
}

export interface FhirStoreReader {
  read(scope: Scope, type: string, id: string): Promise<StoredResource | undefined>;
  vread(scope: Scope, type: string, id: string, version: number): Promise<StoredResource | undefined>;
  history(scope: Scope, type: string, id: string): Promise<StoredResource[]>;
}
