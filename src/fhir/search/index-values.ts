import type { DateRow, NumberRow, QuantityRow, ReferenceRow, StringRow, TokenRow, UriRow } from './index-rows.js';
import { dateRange, normalizeCode, normalizeString, periodRange } from './normalize.js';
import { parseReference } from './reference.js';

/**
 * One FHIR value (as selected by a search parameter's expression) → index rows, one
 * function per search parameter type (https://hl7.org/fhir/R4/search.html#ptypes). The
 * value's data type is told by its JSON shape, since FHIR JSON carries no type tags.
 * Values of a shape a parameter type cannot use are ignored, never an error.
 */

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function str(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

/** ContactPoint.system codes (https://hl7.org/fhir/R4/valueset-contact-point-system.html). */
const CONTACT_POINT_SYSTEMS = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);

/**
 * Token rows (https://hl7.org/fhir/R4/search.html#token): Coding → system|code;
 * CodeableConcept → each coding; Identifier → system|value; ContactPoint → value with no
 * system (the spec's token table gives ContactPoint no URI); code/string/uri/id → code with
 * system ''; boolean → 'true'/'false'. `text` (for :text) is the Coding.display, else the
 * CodeableConcept.text, or Identifier.type.text. A CodeableConcept.text that no coding
 * display repeats gets its own row (system '', code '') so :text finds it too.
 */
export function tokenRows(param: string, value: unknown, out: TokenRow[]): void {
  if (typeof value === 'string') {
    out.push({ param, system: '', code: normalizeCode(value), text: '' });
  } else if (typeof value === 'boolean' || typeof value === 'number') {
    out.push({ param, system: '', code: String(value), text: '' });
  } else if (isObj(value)) {
    if (Array.isArray(value.coding) || (typeof value.text === 'string' && value.code === undefined && value.value === undefined)) {
      codeableConceptRows(param, value, out);
    } else if (typeof value.value === 'string' && value.code === undefined) {
      const system = str(value.system);
      if (CONTACT_POINT_SYSTEMS.has(system) && value.type === undefined) {
        out.push({ param, system: '', code: normalizeCode(value.value), text: '' });
      } else {
        const typeText = isObj(value.type) ? str(value.type.text) : '';
        out.push({ param, system, code: normalizeCode(value.value), text: typeText && normalizeString(typeText) });
      }
    } else if (value.code !== undefined || value.system !== undefined) {
      const display = str(value.display);
      out.push({ param, system: str(value.system), code: normalizeCode(str(value.code)), text: display && normalizeString(display) });
    }
  }
}

function codeableConceptRows(param: string, cc: Obj, out: TokenRow[]): void {
  const ccText = str(cc.text) && normalizeString(str(cc.text));
  let textCovered = ccText === '';
  if (Array.isArray(cc.coding)) {
    for (const coding of cc.coding) {
      if (!isObj(coding)) continue;
      const display = str(coding.display) && normalizeString(str(coding.display));
      if (display === ccText) textCovered = true;
      out.push({ param, system: str(coding.system), code: normalizeCode(str(coding.code)), text: display || ccText });
      if (!display) textCovered = true;
    }
  }
  if (!textCovered) out.push({ param, system: '', code: '', text: ccText });
}

/** HumanName and Address parts that string search matches (https://hl7.org/fhir/R4/search.html#string). */
const STRING_PARTS = ['family', 'given', 'prefix', 'suffix', 'line', 'city', 'district', 'state', 'postalCode', 'country', 'text'];

function stringRow(param: string, s: string, out: StringRow[]): void {
  const value = normalizeString(s);
  if (value) out.push({ param, value, exact: s });
}

/** String rows: a plain string, or each part of a HumanName/Address as its own row. */
export function stringRows(param: string, value: unknown, out: StringRow[]): void {
  if (typeof value === 'string') {
    stringRow(param, value, out);
  } else if (isObj(value)) {
    for (const key of STRING_PARTS) {
      const part = value[key];
      if (typeof part === 'string') stringRow(param, part, out);
      else if (Array.isArray(part)) for (const p of part) if (typeof p === 'string') stringRow(param, p, out);
    }
  }
}

/**
 * Date rows (https://hl7.org/fhir/R4/search.html#date): date/dateTime/instant at their
 * precision, Period (open ends unbounded), Timing: each event, plus repeat.boundsPeriod.
 */
export function dateRows(param: string, value: unknown, out: DateRow[]): void {
  if (typeof value === 'string') {
    const r = dateRange(value);
    if (r) out.push({ param, lo: r.lo, hi: r.hi });
  } else if (isObj(value)) {
    if (value.start !== undefined || value.end !== undefined) {
      const r = periodRange(str(value.start) || undefined, str(value.end) || undefined);
      if (r) out.push({ param, lo: r.lo, hi: r.hi });
    }
    if (Array.isArray(value.event)) for (const e of value.event) dateRows(param, e, out);
    if (isObj(value.repeat) && isObj(value.repeat.boundsPeriod)) dateRows(param, value.repeat.boundsPeriod, out);
  }
}

/**
 * The implicit range of a number as written: 100 → [99.5, 100.5], 1.50 → [1.495, 1.505]
 * (https://hl7.org/fhir/R4/search.html#number). JSON parsing drops trailing zeros, so the
 * precision is that of the shortest form of the number.
 */
export function numberRange(v: number): { lo: number; hi: number } {
  const [mantissa, exp] = String(v).toLowerCase().split('e');
  const dot = mantissa.indexOf('.');
  const decimals = (dot < 0 ? 0 : mantissa.length - dot - 1) - (exp ? Number(exp) : 0);
  const half = 0.5 * 10 ** -decimals;
  return { lo: v - half, hi: v + half };
}

export function numberRows(param: string, value: unknown, out: NumberRow[]): void {
  if (typeof value === 'number' && Number.isFinite(value)) out.push({ param, value, ...numberRange(value) });
}

/**
 * Quantity rows (https://hl7.org/fhir/R4/search.html#quantity): Quantity and its profiles
 * (Age, Duration, Count, Distance, SimpleQuantity) and Money (currency as the code, system
 * urn:iso:std:iso:4217). Range and SampledData carry no single value and are not indexed.
 */
export function quantityRows(param: string, value: unknown, out: QuantityRow[]): void {
  if (!isObj(value) || typeof value.value !== 'number' || !Number.isFinite(value.value)) return;
  const v = value.value;
  const currency = str(value.currency);
  const system = currency ? 'urn:iso:std:iso:4217' : str(value.system);
  const unit = str(value.unit);
  const code = currency || str(value.code) || unit;
  out.push({ param, value: v, ...numberRange(v), system, code, unit });
}

/**
 * Reference rows (https://hl7.org/fhir/R4/search.html#reference): relative `Type/id`,
 * absolute `http…/Type/id` (type and id from the last two segments, plus the url),
 * other absolute URLs and canonicals (url only). Contained (`#id`), conditional and
 * identifier-only references are not indexed.
 */
export function referenceRows(param: string, value: unknown, out: ReferenceRow[]): void {
  if (typeof value === 'string') {
    if (value) out.push({ param, targetType: '', targetId: '', url: value });
  } else if (isObj(value) && typeof value.reference === 'string') {
    const parsed = parseReference(value.reference);
    if (parsed) out.push({ param, ...parsed });
  }
}

export function uriRows(param: string, value: unknown, out: UriRow[]): void {
  if (typeof value === 'string' && value) out.push({ param, value });
}
