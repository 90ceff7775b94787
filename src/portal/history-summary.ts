import { isSensitive } from '../fhir/sensitivity.js';
import type { Resource } from '../fhir/store/types.js';
import { arr, conceptKey, conceptText, firstConcept, firstDate, humanName, obj, quantityText, referenceText, str, statusText } from './fhir-text.js';

/** My History as plain view data: every field a display string, sorted newest first. */
export interface Row {
  title: string;
  /** Labelled sensitive (src/fhir/sensitivity.ts): the patient sees it, tagged. */
  sensitive?: boolean;
  date?: string;
  status?: string;
  detail?: string;
}

export interface SeriesPoint {
  date: string;
  value: number;
}

/** One vital sign or lab test over time. */
export interface Series {
  key: string;
  title: string;
  unit?: string;
  latest: string;
  latestDate?: string;
  count: number;
  points: SeriesPoint[];
  /** Some result of the series is labelled sensitive. */
  sensitive?: boolean;
}

export interface HistoryRecord {
  patient?: { name?: string; birthDate?: string; gender?: string };
  allergies: Row[];
  problems: Row[];
  medications: Row[];
  immunizations: Row[];
  vitals: Series[];
  labs: Series[];
  visits: Row[];
  documents: Row[];
}

const byDateDesc = (a: { date?: string }, b: { date?: string }) => (b.date ?? '').localeCompare(a.date ?? '');

export function summarizeRecord(patientId: string, resources: Resource[], medications: Resource[]): HistoryRecord {
  const meds = new Map(medications.map((m) => [`Medication/${m.id}`, conceptText(m.code)]));
  const out: HistoryRecord = { allergies: [], problems: [], medications: [], immunizations: [], vitals: [], labs: [], visits: [], documents: [] };
  const vitals = new Map<string, Series>();
  const labs = new Map<string, Series>();
  const lists = [out.allergies, out.problems, out.medications, out.immunizations, out.visits, out.documents];
  for (const r of resources) {
    const sensitive = isSensitive(r as Record<string, unknown>);
    const before = lists.map((l) => l.length);
    switch (r.resourceType) {
      case 'Patient':
        if (r.id === patientId) out.patient = { name: humanName(r.name), birthDate: str(r.birthDate), gender: str(r.gender) };
        break;
      case 'AllergyIntolerance':
        out.allergies.push({
          title: conceptText(r.code) ?? 'Unnamed allergy',
          date: firstDate(r, ['recordedDate', 'onsetDateTime', 'onsetPeriod']),
          status: statusText(r.clinicalStatus),
          detail: [str(r.criticality) && `criticality ${str(r.criticality)}`, ...arr(r.reaction).flatMap((x) => arr(obj(x)?.manifestation).map(conceptText))].filter(Boolean).join(', ') || undefined,
        });
        break;
      case 'Condition':
        out.problems.push({
          title: conceptText(r.code) ?? 'Unnamed condition',
          date: firstDate(r, ['onsetDateTime', 'onsetPeriod', 'recordedDate']),
          status: statusText(r.clinicalStatus),
          detail: str(r.abatementDateTime) ? `resolved ${String(r.abatementDateTime).slice(0, 10)}` : undefined,
        });
        break;
      case 'MedicationRequest':
      case 'MedicationStatement': {
        const ref = str(obj(r.medicationReference)?.reference);
        out.medications.push({
          title: conceptText(r.medicationCodeableConcept) ?? (ref && meds.get(ref)) ?? referenceText(r.medicationReference) ?? 'Unnamed medication',
          date: firstDate(r, ['authoredOn', 'effectiveDateTime', 'effectivePeriod', 'dateAsserted']),
          status: str(r.status),
          detail: str(obj(arr(r.dosageInstruction ?? r.dosage)[0])?.text),
        });
        break;
      }
      case 'Immunization':
        out.immunizations.push({ title: conceptText(r.vaccineCode) ?? 'Unnamed vaccine', date: firstDate(r, ['occurrenceDateTime', 'recorded']), status: str(r.status) });
        break;
      case 'Encounter':
        out.visits.push({
          title: firstConcept(r.type) ?? str(obj(r.class)?.display) ?? str(obj(r.class)?.code) ?? 'Visit',
          date: firstDate(r, ['period']),
          status: str(r.status),
          detail: [firstConcept(r.reasonCode), referenceText(r.serviceProvider), referenceText(obj(arr(r.location)[0])?.location)].filter(Boolean).join(' · ') || undefined,
        });
        break;
      case 'DocumentReference':
        out.documents.push({
          title: conceptText(r.type) ?? str(r.description) ?? 'Document',
          date: firstDate(r, ['date', 'context']),
          status: str(r.docStatus) ?? str(r.status),
          detail: str(obj(obj(arr(r.content)[0])?.attachment)?.title) ?? str(r.description),
        });
        break;
      case 'DiagnosticReport':
        out.documents.push({ title: conceptText(r.code) ?? 'Report', date: firstDate(r, ['effectiveDateTime', 'effectivePeriod', 'issued']), status: str(r.status), detail: firstConcept(r.category) });
        break;
      case 'Observation':
        addObservation(r, categoryOf(r) === 'vital-signs' ? vitals : categoryOf(r) === 'laboratory' ? labs : undefined, sensitive);
        break;
    }
    if (sensitive) lists.forEach((l, i) => l.slice(before[i]).forEach((row) => (row.sensitive = true)));
  }
  for (const list of [out.allergies, out.problems, out.medications, out.immunizations, out.visits, out.documents]) list.sort(byDateDesc);
  out.vitals = finish(vitals);
  out.labs = finish(labs);
  return out;
}

function categoryOf(r: Resource): string | undefined {
  for (const c of arr(r.category)) for (const coding of arr(obj(c)?.coding)) if (str(obj(coding)?.code)) return str(obj(coding)?.code);
  return undefined;
}

function addObservation(r: Resource, into: Map<string, Series> | undefined, sensitive: boolean): void {
  if (!into) return;
  const date = firstDate(r, ['effectiveDateTime', 'effectivePeriod', 'effectiveInstant', 'issued']) ?? '';
  const title = conceptText(r.code) ?? 'Result';
  const parts: Array<{ key: string; title: string; value: unknown }> = [];
  if (arr(r.component).length && r.valueQuantity === undefined) {
    for (const c of arr(r.component).map(obj)) if (c) parts.push({ key: `${conceptKey(r.code)}#${conceptKey(c.code)}`, title: `${title} — ${conceptText(c.code) ?? ''}`, value: c.valueQuantity ?? c.valueString ?? c.valueCodeableConcept });
  } else {
    parts.push({ key: conceptKey(r.code) ?? title, title, value: r.valueQuantity ?? r.valueString ?? r.valueCodeableConcept ?? r.valueInteger });
  }
  for (const p of parts) {
    const series = into.get(p.key) ?? { key: p.key, title: p.title, latest: '—', count: 0, points: [] };
    into.set(p.key, series);
    series.count++;
    if (sensitive) series.sensitive = true;
    const q = quantityText(p.value);
    const text = q?.text ?? (typeof p.value === 'number' ? String(p.value) : (str(p.value) ?? conceptText(p.value) ?? '—'));
    if (!series.latestDate || date > series.latestDate) {
      series.latestDate = date || undefined;
      series.latest = text;
      series.unit = q?.unit;
    }
    const value = q?.value ?? (typeof p.value === 'number' ? p.value : undefined);
    if (value !== undefined && date) series.points.push({ date, value });
  }
}

function finish(map: Map<string, Series>): Series[] {
  const list = [...map.values()];
  for (const s of list) s.points.sort((a, b) => a.date.localeCompare(b.date));
  return list.sort((a, b) => b.count - a.count || a.title.localeCompare(b.title));
}
