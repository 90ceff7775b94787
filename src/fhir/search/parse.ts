import { errors } from '../outcome.js';
import { decodeCursor } from './cursor.js';
import { parseClause } from './parse-clause.js';
import {
  ignore, parseCount, parseElements, parseInclude, parseSort, parseSummary, parseTotal, type ParseContext,
} from './parse-control.js';
import { type Clause, CURSOR_PARAM, DEFAULT_COUNT, type SearchQuery } from './query.js';
import type { SearchRegistry } from './types.js';

export interface ParseOptions {
  /** `Prefer: handling=strict`: unknown or unsupported parameters are a 400, not a warning. */
  strict?: boolean;
  /** The server's FHIR base URL: absolute references under it are read as local ones. */
  baseUrl?: string;
}

/** At most this many parameters in one search. */
export const MAX_PARAMS = 100;
/** At most this many characters in one parameter value. */
export const MAX_VALUE_LENGTH = 4096;
/**
 * At most this many values in one search, summed over its clauses, a chained target
 * counting CHAIN_TERMS more (it carries its own scoped subquery). Without a bound, 100
 * repeats of a 100-value chain compile to ~440 KB of SQL that SQLite needs seconds to
 * plan, on the event loop: one request would stall every other.
 */
export const MAX_TERMS = 1000;
const CHAIN_TERMS = 20;
/**
 * At most this many filtering parameters (AND-ed clauses) in one search: PostgreSQL
 * plans 100 of them, even with two values each, in about three seconds of database CPU.
 */
export const MAX_CLAUSES = 30;
/**
 * At most this many distinct `_sort` keys: each is a correlated subquery per candidate
 * row, and 300 of them (a repeated `_sort`) held the event loop for seconds on SQLite.
 * A repeated key (same parameter, same direction) orders nothing more and is dropped.
 */
export const MAX_SORT_KEYS = 10;

/** Parameters that do not filter and that this layer ignores on purpose. */
const IGNORED: ReadonlySet<string> = new Set(['_format', '_pretty']);

/**
 * Parses a FHIR search (https://hl7.org/fhir/R4/search.html) on `resourceType` from its
 * decoded query (or form body) parameters. Throws FhirError 400 on invalid values;
 * unknown parameters are collected in `warnings` (or a 400 when `strict`).
 */
export function parseSearch(
  resourceType: string,
  params: ReadonlyArray<readonly [string, string]>,
  registry: SearchRegistry,
  options: ParseOptions = {},
): SearchQuery {
  if (!registry.isResourceType(resourceType)) throw errors.unknownType(resourceType);
  if (params.length > MAX_PARAMS) throw errors.badParameter(`Too many search parameters (at most ${MAX_PARAMS})`);
  const ctx: ParseContext = { resourceType, registry, strict: options.strict ?? false, warnings: [], baseUrl: options.baseUrl };
  const query: SearchQuery = {
    resourceType, clauses: [], sort: [], count: DEFAULT_COUNT, includes: [], revincludes: [], warnings: ctx.warnings, params: [],
  };
  let cursor: string | undefined;

  for (const [name, value] of params) {
    if (!checkText(ctx, name, value)) continue;
    if (name !== CURSOR_PARAM) query.params.push([name, value]);
    const colon = name.indexOf(':');
    const base = colon < 0 ? name : name.slice(0, colon);
    const modifier = colon < 0 ? undefined : name.slice(colon + 1);
    if (base === '_include' || base === '_revinclude') {
      const spec = value === '' ? undefined : parseInclude(ctx, base, modifier, value);
      if (spec) (base === '_include' ? query.includes : query.revincludes).push(spec);
      continue;
    }
    if (value === '' || IGNORED.has(name)) continue;
    switch (name) {
      case CURSOR_PARAM: cursor = value; break;
      case '_count': query.count = parseCount(value); break;
      case '_sort': query.sort.push(...parseSort(ctx, value)); break;
      case '_summary': query.summary = parseSummary(value); break;
      case '_elements': query.elements = parseElements(ctx, value); break;
      case '_total': query.total = parseTotal(value); break;
      default: {
        const clause = parseClause(ctx, name, value);
        if (clause) query.clauses.push(clause);
      }
    }
  }
  query.sort = query.sort.filter((k, i) => query.sort.findIndex((o) => o.param === k.param && o.desc === k.desc) === i);
  if (query.sort.length > MAX_SORT_KEYS) throw errors.badParameter(`Too many _sort keys (at most ${MAX_SORT_KEYS})`);
  if (query.clauses.length > MAX_CLAUSES) throw errors.badParameter(`Too many filtering search parameters (at most ${MAX_CLAUSES})`);
  if (query.clauses.reduce((n, c) => n + terms(c), 0) > MAX_TERMS) {
    throw errors.badParameter(`Too many search values in one request (at most ${MAX_TERMS}, a chained parameter counting ${CHAIN_TERMS} more per target type)`);
  }
  if (cursor !== undefined) query.cursor = decodeCursor(cursor, query.sort);
  return query;
}

function terms(clause: Clause): number {
  switch (clause.kind) {
    case 'chain': return clause.targets.reduce((n, t) => n + CHAIN_TERMS + terms(t.inner), 0);
    case 'id': return clause.ids.length;
    case 'missing': return 1;
    case 'token': return clause.values.length + clause.texts.length;
    default: return clause.values.length;
  }
}

/**
 * Control characters (NUL above all: PostgreSQL text cannot hold it) and huge values are
 * refused up front. A name that cannot be a search parameter is an unknown one (ignored).
 */
function checkText(ctx: ParseContext, name: string, value: string): boolean {
  if (name.length > 256 || !/^[A-Za-z_][A-Za-z0-9_\-.:]*$/.test(name)) {
    ignore(ctx, `Unknown search parameter "${name.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}" for ${ctx.resourceType}`);
    return false;
  }
  if (value.length > MAX_VALUE_LENGTH) throw errors.badParameter(`Value of search parameter "${name}" is too long (at most ${MAX_VALUE_LENGTH} characters)`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(value)) throw errors.badParameter(`Value of search parameter "${name}" contains control characters`);
  return true;
}
