/**
 * Synthetic US Core 6.1.0 patients, deterministic for a seed. Pure: no I/O, no clock, no
 * Math.random. Patient i depends only on (seed, i, asOf), so N patients are a prefix of M > N.
 */
import { directory } from './providers.js';
import { buildPatientBundle } from './record.js';
import type { Bundle } from './types.js';

export type { Bundle, BundleEntry, Resource } from './types.js';

/** The default reference date ("today" of the synthetic records): fixed, so output never depends on the clock. */
export const DEFAULT_AS_OF = '2025-06-30';

export interface GenerateOptions {
  /** Number of patients. */
  readonly count: number;
  /** Any integer; equal seeds give byte-identical output. */
  readonly seed: number;
  /** Index of the first patient (default 0): `start: 100, count: 50` yields patients 100..149. */
  readonly start?: number;
  /** Reference date (`YYYY-MM-DD`) the histories end at; default DEFAULT_AS_OF. */
  readonly asOf?: string;
}

/** One FHIR transaction Bundle per patient (entries PUT `Type/<uuid>`, fullUrl `urn:uuid:<uuid>`). */
export function* generatePatients(options: GenerateOptions): Generator<Bundle> {
  const { count, seed } = options;
  const start = options.start ?? 0;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`start must be a non-negative integer, got ${start}`);
  const asOf = parseAsOf(options.asOf ?? DEFAULT_AS_OF);
  const dir = directory(seed);
  for (let i = start; i < start + count; i++) yield buildPatientBundle(seed, i, asOf, dir);
}

/** The shared Organizations, Locations, Practitioners and PractitionerRoles patients of `seed` reference. */
export function generateProviders(seed: number): Bundle {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return directory(seed).bundle;
}

function parseAsOf(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw new RangeError(`asOf must be YYYY-MM-DD, got ${value}`);
  return Date.parse(value + 'T17:00:00Z');
}
