/**
 * FHIR writes for practice systems and staff (SPEC: Practice systems;
 * https://hl7.org/fhir/R4/http.html): create, update, conditional create/update,
 * delete, transaction and batch. Free of HTTP (src/fhir/http/write-routes.ts renders).
 *
 * - Permission: patients never write (403); staff may do everything; a system client
 *   within its `system/` scopes (permits, src/auth/permissions.ts), asked per entry.
 * - Validation before anything is stored (check-resource.ts): R4 JSON schema (ajv,
 *   compiled lazily per type), type and id against the URL, references well formed.
 * - Storage: the versioned store (resource_history, vread, _history) in one store
 *   transaction per interaction (per entry for batch), which also moves the data version
 *   the result cache checks, so no cached read outlives a write.
 * - Audit: one row per written version with the client, type, id and version, recorded
 *   right after the commit (never the body).
 */
import { createBundleService } from './bundle-service.js';
import { createWriteService, type WriteDeps } from './write-service.js';

export type { WriteContext, WriteResult, DeleteResult } from './write-service.js';
export type { BundleResult, EntryResponse } from './bundle-service.js';

export function createWrites(deps: WriteDeps) {
  return { ...createWriteService(deps), bundle: createBundleService(deps).process };
}

export type Writes = ReturnType<typeof createWrites>;
