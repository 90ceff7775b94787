import { MAX_TIME, MIN_TIME } from './index-rows.js';

/**
 * String search normalisation (https://hl7.org/fhir/R4/search.html#string): matching is
 * case- and accent-insensitive. Both the indexer and the query side use this function.
 */
export function normalizeString(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Token codes are compared case-insensitively. */
export function normalizeCode(value: string): string {
  return value.toLowerCase();
}

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The closed interval [lo, hi] (epoch ms) that a FHIR date/dateTime/instant denotes at
 * its precision: `2019` → all of 2019, `2019-05-01T10:15:00Z` → that second.
 * Values without a time zone are taken as UTC. Returns undefined when malformed.
 */
export function dateRange(value: string): { lo: number; hi: number } | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (mo && (month < 0 || month > 11)) return undefined;
  if (d && (day < 1 || day > 31)) return undefined;
  let offsetMs = 0;
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    offsetMs = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
  }
  const base = (yy: number, mm: number, dd: number, hh = 0, mn = 0, ss = 0, ms = 0) =>
    Date.UTC(yy, mm, dd, hh, mn, ss, ms) - offsetMs;
  if (!mo) return { lo: base(year, 0, 1), hi: base(year + 1, 0, 1) - 1 };
  if (!d) return { lo: base(year, month, 1), hi: base(year, month + 1, 1) - 1 };
  if (h === undefined) return { lo: base(year, month, day), hi: base(year, month, day + 1) - 1 };
  const hour = Number(h);
  const minute = Number(mi);
  if (s === undefined) {
    const lo = base(year, month, day, hour, minute);
    return { lo, hi: lo + 60_000 - 1 };
  }
  const second = Number(s);
  if (frac === undefined) {
    const lo = base(year, month, day, hour, minute, second);
    return { lo, hi: lo + 999 };
  }
  const digits = Math.min(frac.length, 3);
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const lo = base(year, month, day, hour, minute, second, ms);
  return { lo, hi: lo + 10 ** (3 - digits) - 1 };
}

/** [lo, hi] of a Period; an open end extends to MIN_TIME / MAX_TIME. */
export function periodRange(start?: string, end?: string): { lo: number; hi: number } | undefined {
  const s = start ? dateRange(start) : undefined;
  const e = end ? dateRange(end) : undefined;
  if (!s && !e) return undefined;
  return { lo: s ? s.lo : MIN_TIME, hi: e ? e.hi : MAX_TIME };
}
