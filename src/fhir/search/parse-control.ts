import { errors } from '../outcome.js';
import { MAX_COUNT, type IncludeSpec, type SortKey, type SortKind, type SummaryMode, type TotalMode } from './query.js';
import type { SearchRegistry } from './types.js';

/**
 * The result-control parameters (https://hl7.org/fhir/R4/search.html#return):
 * _count, _sort, _include, _revinclude, _summary, _elements, _total.
 */

export interface ParseContext {
  resourceType: string;
  registry: SearchRegistry;
  /** Ignored parameters become a 400 instead of a warning (`Prefer: handling=strict`). */
  strict: boolean;
  warnings: string[];
  baseUrl?: string;
}

/** Reports an ignorable problem: a warning, or a 400 when strict. */
export function ignore(ctx: ParseContext, message: string): void {
  if (ctx.strict) throw errors.badParameter(message);
  if (!ctx.warnings.includes(message)) ctx.warnings.push(message);
}

export function parseCount(value: string): number {
  if (!/^\d{1,12}$/.test(value)) throw errors.badParameter(`Invalid _count "${value}" (expected a non-negative integer)`);
  return Math.min(Number(value), MAX_COUNT);
}

const SORTABLE: Readonly<Record<string, SortKind>> = {
  date: 'date', string: 'string', token: 'token', number: 'number', quantity: 'quantity', uri: 'uri',
};

/** `_sort=a,-b` (https://hl7.org/fhir/R4/search.html#_sort): several keys, `-` for descending. */
export function parseSort(ctx: ParseContext, value: string): SortKey[] {
  const keys: SortKey[] = [];
  for (const item of value.split(',')) {
    const desc = item.startsWith('-');
    const param = desc ? item.slice(1) : item;
    if (param === '') throw errors.badParameter(`Invalid _sort "${value}"`);
    if (param === '_id') keys.push({ param, kind: 'id', desc });
    else if (param === '_lastUpdated') keys.push({ param, kind: 'lastUpdated', desc });
    else {
      const def = ctx.registry.get(ctx.resourceType, param);
      const kind = def ? SORTABLE[def.type] : undefined;
      if (!kind) ignore(ctx, `Cannot sort on search parameter "${param}" for ${ctx.resourceType}`);
      else keys.push({ param, kind, desc });
    }
  }
  return keys;
}

/**
 * `_include=Type:param[:Target]` and `_revinclude=Type:param[:Target]`; `*` (or `Type:*`)
 * stands for every reference parameter. `:iterate` (R4; `:recurse` in STU3) repeats the
 * include over included resources (https://hl7.org/fhir/R4/search.html#revinclude).
 */
export function parseInclude(ctx: ParseContext, name: string, modifier: string | undefined, value: string): IncludeSpec | undefined {
  if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
    throw errors.badParameter(`Unknown modifier ":${modifier}" for ${name}`);
  }
  const iterate = modifier !== undefined;
  if (value === '*') return { sourceType: ctx.resourceType, param: '*', iterate };
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw errors.badParameter(`Invalid ${name} "${value}" (expected Type:parameter[:targetType])`);
  }
  const [sourceType, param, targetType] = parts;
  const known = new Set(ctx.registry.resourceTypes());
  if (!known.has(sourceType) || (targetType !== undefined && !known.has(targetType))) {
    ignore(ctx, `Unknown resource type in ${name} "${value}"`);
    return undefined;
  }
  if (param !== '*') {
    const def = ctx.registry.get(sourceType, param);
    if (!def || def.type !== 'reference') {
      ignore(ctx, `Unknown search parameter "${param}" for ${sourceType} in ${name}`);
      return undefined;
    }
  }
  return targetType ? { sourceType, param, targetType, iterate } : { sourceType, param, iterate };
}

const SUMMARY: ReadonlySet<string> = new Set(['true', 'text', 'data', 'count', 'false']);
export function parseSummary(value: string): SummaryMode {
  if (!SUMMARY.has(value)) throw errors.badParameter(`Invalid _summary "${value}" (expected true, text, data, count or false)`);
  return value as SummaryMode;
}

const TOTAL: ReadonlySet<string> = new Set(['none', 'estimate', 'accurate']);
export function parseTotal(value: string): TotalMode {
  if (!TOTAL.has(value)) throw errors.badParameter(`Invalid _total "${value}" (expected none, estimate or accurate)`);
  return value as TotalMode;
}

/** `_elements=a,b`: top-level element names (a `Type.` prefix is accepted and dropped). */
export function parseElements(ctx: ParseContext, value: string): string[] {
  const names: string[] = [];
  for (const item of value.split(',')) {
    const name = item.startsWith(`${ctx.resourceType}.`) ? item.slice(ctx.resourceType.length + 1) : item;
    if (!/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name)) throw errors.badParameter(`Invalid element "${item}" in _elements`);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}
