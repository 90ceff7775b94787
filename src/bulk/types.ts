/**
 * Bulk Data Access 2.0 export (https://hl7.org/fhir/uv/bulkdata/export.html): the shapes
 * shared by the kick-off, the job store, the worker and the routes.
 */
export type ExportLevel = 'system' | 'patient' | 'group';

/** What a kick-off asked for, validated. */
export interface ExportRequest {
  level: ExportLevel;
  /** For a Group-level export: the Group's id. */
  groupId?: string;
  /** The kick-off URL as the client sent it (absolute), echoed in the manifest's `request`. */
  requestUrl: string;
  /** Resource types to export; undefined = every type. */
  types?: readonly string[];
  /** `_since` as epoch ms: only resources changed after it. */
  since?: number;
  /** Parameters ignored under `Prefer: handling=lenient`, reported in the manifest's `error` files. */
  warnings: readonly string[];
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface ExportJob {
  id: string;
  /** Who kicked it off (`staff:<id>` or `system:<clientId>`): the only principal that may see it. */
  owner: string;
  level: ExportLevel;
  requestUrl: string;
  types?: readonly string[];
  since?: number;
  transactionTime: number;
  warnings: readonly string[];
  status: JobStatus;
  /** Resources written so far. */
  progress: number;
  error?: string;
  createdAt: number;
  finishedAt?: number;
  expiresAt: number;
}

export interface ExportFile {
  name: string;
  /** `output` (resources) or `error` (OperationOutcomes). */
  kind: 'output' | 'error';
  type: string;
  count: number;
  chunks: number;
}
