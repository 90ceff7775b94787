/** Date arithmetic on epoch milliseconds; output in FHIR formats with a fixed local offset. */

export const DAY = 86_400_000;
export const YEAR = 365.25 * DAY;

/** `YYYY-MM-DD` of the local date at `ms` for an offset in minutes (e.g. -300). */
export function fhirDate(ms: number, offsetMin = 0): string {
  return new Date(ms + offsetMin * 60_000).toISOString().slice(0, 10);
}

/** `YYYY-MM-DDThh:mm:ss±hh:mm` (second precision, local offset). */
export function fhirDateTime(ms: number, offsetMin: number): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  return local + offsetString(offsetMin);
}

/** `YYYY-MM-DDThh:mm:ss.sss±hh:mm` (instant). */
export function fhirInstant(ms: number, offsetMin: number): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
  return local + offsetString(offsetMin);
}

function offsetString(offsetMin: number): string {
  if (offsetMin === 0) return 'Z';
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Start of the UTC day containing `ms`. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/** Whole years between two instants. */
export function ageAt(birthMs: number, atMs: number): number {
  const b = new Date(birthMs);
  const a = new Date(atMs);
  let age = a.getUTCFullYear() - b.getUTCFullYear();
  if (a.getUTCMonth() < b.getUTCMonth() || (a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() < b.getUTCDate())) age--;
  return age;
}

/** Age in months (approximate, 30.44-day months). */
export function ageMonths(birthMs: number, atMs: number): number {
  return (atMs - birthMs) / (30.4375 * DAY);
}
