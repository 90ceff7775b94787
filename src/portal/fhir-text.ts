/**
 * Small readers for FHIR datatypes, for display only. Resources come from our own store,
 * but their content is still untrusted text: these helpers return plain strings, and JSX
 * escapes them when rendered.
 */
type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

export { arr, obj, str };

export function conceptText(value: unknown): string | undefined {
  const cc = obj(value);
  if (!cc) return undefined;
  const coding = arr(cc.coding).map(obj).filter(Boolean) as Json[];
  return str(cc.text) ?? coding.map((c) => str(c.display)).find(Boolean) ?? coding.map((c) => str(c.code)).find(Boolean);
}

export function firstConcept(list: unknown): string | undefined {
  return arr(list).map(conceptText).find(Boolean);
}

/** `system|code` of the first coding, for grouping results of the same test. */
export function conceptKey(value: unknown): string | undefined {
  const cc = obj(value);
  const c = cc && (arr(cc.coding).map(obj).find((x) => x && str(x.code)) as Json | undefined);
  return c ? `${str(c.system) ?? ''}|${str(c.code)}` : cc && str(cc.text);
}

export function referenceText(value: unknown): string | undefined {
  const ref = obj(value);
  return ref && (str(ref.display) ?? str(ref.reference));
}

/** The first date of a dateTime/Period/instant-bearing set of fields. */
export function firstDate(resource: Json, fields: string[]): string | undefined {
  for (const f of fields) {
    const v = resource[f];
    if (typeof v === 'string' && v) return v;
    const p = obj(v);
    if (p && (str(p.start) || str(p.end))) return str(p.start) ?? str(p.end);
  }
  return undefined;
}

/** A FHIR date/dateTime as YYYY-MM-DD (or the partial date as written). */
export function shortDate(value: string | undefined): string {
  if (!value) return '—';
  return value.length >= 10 ? value.slice(0, 10) : value;
}

export function statusText(value: unknown): string | undefined {
  return conceptText(value) ?? str(value);
}

export function quantityText(value: unknown): { value?: number; text: string; unit?: string } | undefined {
  const q = obj(value);
  if (!q || typeof q.value !== 'number') return undefined;
  const unit = str(q.unit) ?? str(q.code);
  const rounded = Math.round(q.value * 100) / 100;
  return { value: q.value, unit, text: unit ? `${rounded} ${unit}` : String(rounded) };
}

export function humanName(names: unknown): string | undefined {
  const n = arr(names).map(obj).find(Boolean);
  if (!n) return undefined;
  const given = arr(n.given).filter((g): g is string => typeof g === 'string');
  return str(n.text) ?? ([...given, str(n.family)].filter(Boolean).join(' ') || undefined);
}
