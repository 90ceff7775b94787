import type { AuditLog } from '../audit/audit-log.js';
import { everythingQueries, patientScope } from '../fhir/scope.js';
import { LABEL_NAMES, SENSITIVE_LABELS, sensitiveLabels } from '../fhir/sensitivity.js';
import type { FhirStore } from '../fhir/store/store.js';

/** Types staff may label from the patient's admin page (their record, not shared resources). */
export const LABELLABLE_TYPES = ['Condition', 'Observation', 'DocumentReference', 'DiagnosticReport', 'MedicationRequest', 'Encounter', 'Procedure', 'AllergyIntolerance', 'CarePlan', 'Goal'];

export interface LabelledRecord {
  type: string;
  id: string;
  title: string;
  labels: string[];
}

export interface RecordsPage {
  records: LabelledRecord[];
  /** Where the next page starts (`after`), when there is one. */
  next?: number;
}

/**
 * A page of the patient's own records of the labellable types, oldest first, with their
 * sensitive labels (staff see everything): `limit` records after the one stored at `after`.
 */
export async function patientRecords(store: FhirStore, patientId: string, page: { after?: number; limit?: number } = {}): Promise<RecordsPage> {
  const limit = page.limit ?? 200;
  const q = everythingQueries(patientScope(patientId, { types: LABELLABLE_TYPES }), page.after ?? 0, limit + 1, store.db.dialect, true).compartment;
  const rows = await store.db.all<{ seq: number; type: string; id: string; content: string }>(q.sql, q.params);
  const records = rows.slice(0, limit).map((r) => {
    const json = JSON.parse(r.content) as Record<string, any>;
    const concept = json.code ?? json.type?.[0] ?? json.type ?? json.medicationCodeableConcept ?? json.description;
    const title = typeof concept === 'string' ? concept : (concept?.text ?? concept?.coding?.[0]?.display ?? r.type);
    return { type: r.type, id: r.id, title: String(title).slice(0, 200), labels: sensitiveLabels(json) };
  });
  return rows.length > limit ? { records, next: Number(rows[limit - 1].seq) } : { records };
}

/** Which system a sensitive code belongs to. */
function systemOf(code: string): string | undefined {
  return Object.entries(SENSITIVE_LABELS).find(([, codes]) => codes.includes(code))?.[0];
}

/**
 * Staff label one of the patient's records sensitive: a new version through the store
 * (so the index, the data version and every cache follow) with the label added to
 * `meta.security`, and an audit event. Only a record in this patient's compartment.
 */
export async function markSensitive(
  deps: { store: FhirStore; audit: AuditLog },
  input: { patientId: string; type: string; id: string; code: string; staffId: string; ip?: string },
): Promise<'marked' | 'already' | 'not_found' | 'bad_label'> {
  const system = systemOf(input.code);
  if (!system || !LABELLABLE_TYPES.includes(input.type)) return 'bad_label';
  // Read through the patient's scope: only their own record can be labelled here.
  const current = await deps.store.read(patientScope(input.patientId, { types: [input.type] }), input.type, input.id);
  if (!current || current.deleted) return 'not_found';
  const resource = JSON.parse(current.json) as Record<string, any>;
  if (sensitiveLabels(resource).includes(input.code)) return 'already';
  resource.meta = { ...(resource.meta ?? {}), security: [...(resource.meta?.security ?? []), { system, code: input.code, display: LABEL_NAMES[input.code] }] };
  await deps.store.transaction(async (tx) => void (await tx.put(resource as never)));
  const result = 'marked' as const;
  if (result === 'marked') {
    await deps.audit.record({
      actorKind: 'staff', actorId: input.staffId, action: 'resource.mark-sensitive', patientId: input.patientId, ip: input.ip,
      detail: { resource: `${input.type}/${input.id}`, label: input.code },
    });
  }
  return result;
}
