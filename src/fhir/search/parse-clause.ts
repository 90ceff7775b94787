import { errors } from '../outcome.js';
import { splitUnescaped, unescape } from './escape.js';
import { normalizeString } from './normalize.js';
import { ignore, type ParseContext } from './parse-control.js';
import { parseDate, parseNumber, parseQuantity } from './parse-ordered.js';
import { isResourceTypeName, parseReference, parseString, parseToken, parseUri } from './parse-value.js';
import type { Clause, IndexTable, ReferenceValue } from './query.js';
import type { SearchParamDef, SearchParamType, SearchRegistry } from './types.js';

/**
 * One filtering parameter (`name[:modifier]=v1,v2`) → one Clause. Comma-separated values
 * are OR-ed; repeating the parameter AND-s clauses (https://hl7.org/fhir/R4/search.html#combining).
 */

/** At most this many OR-ed values in one parameter (keeps statements inside driver limits). */
export const MAX_VALUES = 100;
const MAX_CHAIN_DEPTH = 2;

const TABLES: Partial<Record<SearchParamType, IndexTable>> = {
  token: 'idx_token', string: 'idx_string', date: 'idx_date', number: 'idx_number',
  quantity: 'idx_quantity', reference: 'idx_reference', uri: 'idx_uri',
};

/** Modifiers each type supports here; others are rejected, as the spec requires
 * ("Servers SHALL reject any search request that contains a search parameter with an
 * unsupported modifier", https://hl7.org/fhir/R4/search.html#modifiers). */
const MODIFIERS: Partial<Record<SearchParamType, readonly string[]>> = {
  token: ['text', 'not'],
  string: ['exact', 'contains'],
  uri: ['below', 'above'],
  date: [], number: [], quantity: [], reference: [],
};

export function parseClause(ctx: ParseContext, name: string, value: string, depth = 0): Clause | undefined {
  const dot = name.indexOf('.');
  if (dot > 0) return parseChain(ctx, name.slice(0, dot), name.slice(dot + 1), value, depth);
  const colon = name.indexOf(':');
  const code = colon < 0 ? name : name.slice(0, colon);
  const modifier = colon < 0 ? undefined : name.slice(colon + 1);
  const values = splitValues(code, value);
  if (values.length === 0) return undefined;

  if (code === '_id') {
    if (modifier !== undefined) throw unknownModifier(code, modifier);
    return { kind: 'id', not: false, ids: values.map(unescape) };
  }
  if (code === '_lastUpdated') {
    if (modifier !== undefined) throw unknownModifier(code, modifier);
    return { kind: 'lastUpdated', values: values.map((v) => parseDate(code, v)) };
  }
  const def = ctx.registry.get(ctx.resourceType, code);
  if (!def) {
    ignore(ctx, `Unknown search parameter "${code}" for ${ctx.resourceType}`);
    return undefined;
  }
  const table = TABLES[def.type];
  if (!table) {
    ignore(ctx, `Search parameter "${code}" (${def.type}) is not supported for ${ctx.resourceType}`);
    return undefined;
  }
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false') throw errors.badParameter(`Invalid value "${value}" for ${code}:missing (expected true or false)`);
    return { kind: 'missing', table, param: code, missing: value === 'true' };
  }
  const isTypeModifier = def.type === 'reference' && modifier !== undefined && isResourceTypeName(modifier);
  if (modifier !== undefined && !isTypeModifier && !MODIFIERS[def.type]?.includes(modifier)) throw unknownModifier(code, modifier);

  switch (def.type) {
    case 'token':
      if (modifier === 'text') return { kind: 'token', param: code, mode: 'text', values: [], texts: values.map((v) => normalizeString(unescape(v))) };
      return { kind: 'token', param: code, mode: modifier === 'not' ? 'not' : 'code', values: values.map((v) => parseToken(code, v)), texts: [] };
    case 'string': {
      const mode = modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'prefix';
      return { kind: 'string', param: code, mode, values: values.map((v) => parseString(mode, v)) };
    }
    case 'date':
      return { kind: 'date', param: code, values: values.map((v) => parseDate(code, v)) };
    case 'number':
      return { kind: 'number', param: code, values: values.map((v) => parseNumber(code, v)) };
    case 'quantity':
      return { kind: 'quantity', param: code, values: values.map((v) => parseQuantity(code, v)) };
    case 'reference': {
      if (isTypeModifier && def.targets.length > 0 && !def.targets.includes(modifier!)) {
        throw errors.badParameter(`Type modifier ":${modifier}" is not a target of search parameter "${code}" for ${ctx.resourceType}`);
      }
      const known = new Set(ctx.registry.resourceTypes());
      const refs = values.map((v) => parseReference(code, v, modifier, ctx.baseUrl, (t) => known.has(t)));
      const compartment = compartmentOfReference(ctx.registry, ctx.resourceType, def, refs);
      return compartment === undefined ? { kind: 'reference', param: code, values: refs } : { kind: 'reference', param: code, values: refs, compartment };
    }
    case 'uri':
      return { kind: 'uri', param: code, mode: modifier === 'below' ? 'below' : modifier === 'above' ? 'above' : 'exact', values: values.map(parseUri) };
    default:
      return undefined;
  }
}

/**
 * `ref[:Type].param=value` (https://hl7.org/fhir/R4/search.html#chaining): resources whose
 * reference `ref` points at a resource (of `Type`, or of any target type that has `param`)
 * matching `param=value`.
 */
function parseChain(ctx: ParseContext, left: string, right: string, value: string, depth: number): Clause | undefined {
  const colon = left.indexOf(':');
  const code = colon < 0 ? left : left.slice(0, colon);
  const typeModifier = colon < 0 ? undefined : left.slice(colon + 1);
  const def = ctx.registry.get(ctx.resourceType, code);
  if (!def || def.type !== 'reference') {
    ignore(ctx, `Unknown search parameter "${code}" for ${ctx.resourceType}`);
    return undefined;
  }
  if (depth >= MAX_CHAIN_DEPTH) throw errors.badParameter(`Chained search parameter "${left}.${right}" is nested too deeply`);
  if (typeModifier !== undefined && !isResourceTypeName(typeModifier)) throw unknownModifier(code, typeModifier);
  const candidates = typeModifier ? [typeModifier] : def.targets;
  const innerCode = right.split(/[.:]/)[0];
  const targets: Array<{ type: string; inner: Clause }> = [];
  for (const type of candidates) {
    if (!ctx.registry.isResourceType(type)) continue;
    if (innerCode !== '_id' && innerCode !== '_lastUpdated' && !ctx.registry.get(type, innerCode)) continue;
    const inner = parseClause({ ...ctx, resourceType: type }, right, value, depth + 1);
    if (inner) targets.push({ type, inner });
  }
  if (targets.length === 0) {
    ignore(ctx, `Unknown search parameter "${innerCode}" in chain "${left}.${right}" for ${ctx.resourceType}`);
    return undefined;
  }
  return { kind: 'chain', param: code, targets };
}

const PATIENT_TYPED = '.where(resolve() is Patient)';

/**
 * The patient whose compartment holds every resource a reference clause matches, if one
 * does. The indexer puts a resource in patient X's compartment when a reference row of one
 * of its type's compartment parameters points at `Patient/X` (src/fhir/search/indexer.ts),
 * so a clause implies the compartment when it matches only such rows: a compartment
 * parameter, or a parameter whose expression is a compartment parameter's narrowed by
 * `.where(resolve() is Patient)` (`Observation.patient` of `Observation.subject`), with
 * values naming one patient. A bare id (`patient=X`) names a patient only for a parameter
 * narrowed to Patient (its rows with an id are Patient rows); otherwise the value must
 * say `Patient/X`.
 */
function compartmentOfReference(registry: SearchRegistry, type: string, def: SearchParamDef, values: ReferenceValue[]): string | undefined {
  const params = registry.compartmentParams(type);
  if (params.length === 0 || type === 'Patient' || type === 'Group') return undefined;
  const narrowed = def.expression.endsWith(PATIENT_TYPED);
  const base = narrowed ? def.expression.slice(0, -PATIENT_TYPED.length) : def.expression;
  const implies = params.includes(def.code) || (narrowed && params.some((p) => registry.get(type, p)?.expression === base));
  if (!implies) return undefined;
  let id: string | undefined;
  for (const v of values) {
    if (v.kind !== 'local' || (v.targetType === undefined ? !narrowed : v.targetType !== 'Patient')) return undefined;
    if (id !== undefined && id !== v.id) return undefined;
    id = v.id;
  }
  return id;
}

function splitValues(code: string, value: string): string[] {
  const values = splitUnescaped(value, ',').filter((v) => v !== '');
  if (values.length > MAX_VALUES) throw errors.badParameter(`Too many values for search parameter "${code}" (at most ${MAX_VALUES})`);
  return values;
}

function unknownModifier(code: string, modifier: string) {
  return errors.badParameter(`Unknown or unsupported modifier ":${modifier}" for search parameter "${code}"`);
}
