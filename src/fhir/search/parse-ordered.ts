import { errors } from '../outcome.js';
import { splitUnescaped, unescape } from './escape.js';
import { dateRange } from './normalize.js';
import type { DateValue, NumberValue, Prefix, QuantityValue } from './query.js';

/**
 * Values of the ordered parameter types (date, number, quantity), each with an optional
 * comparison prefix (https://hl7.org/fhir/R4/search.html#prefix).
 */

const PREFIXES: ReadonlySet<string> = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

export function splitPrefix(param: string, raw: string): { prefix: Prefix; rest: string } {
  const m = /^([a-z]{2})(.*)$/s.exec(raw);
  if (!m) return { prefix: 'eq', rest: raw };
  if (!PREFIXES.has(m[1])) throw errors.badParameter(`Invalid prefix "${m[1]}" in value of search parameter "${param}"`);
  return { prefix: m[1] as Prefix, rest: m[2] };
}

/*
 * A `+` in a time-zone offset arrives as a space when the client did not percent-encode
 * it (application/x-www-form-urlencoded decodes `+` to space). A space is never valid in a
 * FHIR dateTime (https://hl7.org/fhir/R4/datatypes.html#dateTime), so the only sensible
 * reading of `…T10:15:00 04:00` is `…T10:15:00+04:00`; we accept it as such.
 */
const DECODED_PLUS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$/;
const TIME_PARTS = /^\d{4}(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2}))?)?)?)?$/;

/** [lo, hi] of a search date value, or a 400 naming the parameter. */
export function parseDateRange(param: string, text: string): { lo: number; hi: number } {
  const value = text.replace(DECODED_PLUS, '$1+$2');
  const parts = TIME_PARTS.exec(value);
  const range = parts && fieldsValid(value, parts) ? dateRange(value) : undefined;
  if (!range || !Number.isFinite(range.lo) || !Number.isFinite(range.hi)) {
    throw errors.badParameter(`Invalid date "${text}" for search parameter "${param}" (expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][Z|±hh:mm])`);
  }
  return range;
}

function fieldsValid(value: string, parts: RegExpExecArray): boolean {
  const [, mo, d, h, mi, s, tzh, tzm] = parts;
  if (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12)) return false;
  if (d !== undefined) {
    const y = Number(value.slice(0, 4));
    const last = new Date(Date.UTC(y, Number(mo), 0)).getUTCDate();
    if (Number(d) < 1 || Number(d) > last) return false;
  }
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59)) return false;
  if (s !== undefined && Number(s) > 59) return false;
  if (tzh !== undefined && (Number(tzh) > 14 || Number(tzm) > 59)) return false;
  return true;
}

export function parseDate(param: string, raw: string): DateValue {
  const { prefix, rest } = splitPrefix(param, raw);
  return { prefix, ...parseDateRange(param, rest) };
}

const NUMBER_RE = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,3}))?$/;

/**
 * A number with its implicit precision range (https://hl7.org/fhir/R4/search.html#number):
 * `100` stands for [99.5, 100.5), `100.00` for [99.995, 100.005). In exponent form the
 * precision is that of the mantissa scaled by the exponent (`1.5e2` → ±5).
 */
export function parseNumberValue(param: string, text: string): { value: number; lo: number; hi: number } {
  const m = NUMBER_RE.exec(text);
  const value = m ? Number(text) : NaN;
  if (!m || !Number.isFinite(value)) throw errors.badParameter(`Invalid number "${text}" for search parameter "${param}"`);
  const decimals = (m[2]?.length ?? 0) - Number(m[3] ?? 0);
  const half = 0.5 * 10 ** -decimals;
  return { value, lo: value - half, hi: value + half };
}

export function parseNumber(param: string, raw: string): NumberValue {
  const { prefix, rest } = splitPrefix(param, raw);
  return { prefix, ...parseNumberValue(param, rest) };
}

/** `[prefix]number|system|code`, `number||code` (code or unit) or a bare number. */
export function parseQuantity(param: string, raw: string): QuantityValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) {
    throw errors.badParameter(`Invalid quantity "${raw}" for search parameter "${param}" (expected [prefix]number|system|code)`);
  }
  const { prefix, rest } = splitPrefix(param, parts[0]);
  const number = parseNumberValue(param, rest);
  const q: QuantityValue = { prefix, ...number };
  if (parts.length === 3) {
    if (parts[1] !== '') q.system = unescape(parts[1]);
    if (parts[2] !== '') q.code = unescape(parts[2]);
  }
  return q;
}
