import fc from 'fast-check';
import { API_TYPES } from '../../src/fhir/resource-types.js';
import type { SearchParamDef, SearchParamType, SearchRegistry } from '../../src/fhir/search/types.js';
import { anyText, encoded } from './text.js';

/**
 * Search parameters (https://hl7.org/fhir/R4/search.html) generated from the registry:
 * every parameter of the US Core types, with every FHIR modifier and prefix on every
 * parameter type (valid or not for it), multiple values, repeats, chains, `_has`, and the
 * result parameters. Values come from the records themselves (so searches match), from
 * patient B's record (so leaks have something to leak), and from hostile text.
 */

/** Every modifier FHIR R4/R5 defines, plus type modifiers and nonsense. */
export const MODIFIERS = [
  'missing', 'exact', 'contains', 'text', 'not', 'above', 'below', 'in', 'not-in', 'of-type', 'identifier', 'type', 'iterate', 'recurse',
  'code-text', 'text-advanced', 'Patient', 'Practitioner', 'Organization', 'Location', 'Device', 'Bundle', 'patient', '', ':', 'MISSING', 'not:text',
];
export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'EQ', 'gt=', 'xx', ''];
const CONTROL = ['_include', '_revinclude', '_sort', '_count', '_elements', '_summary', '_total', '_cursor', '_format', '_pretty', '_contained', '_containedType', '_list', '_text', '_content', '_query', '_filter', '_type', '_profile', '_security', '_tag', '_source', '_has', '_since', '_at'];

export interface Pools {
  registry: SearchRegistry;
  /** `Type/id` of A's and B's resources. */
  idsA: readonly string[];
  idsB: readonly string[];
  words: readonly string[];
  baseUrl: string;
}

/** A decoded (name, value) pair; the URL or form encoding is applied afterwards. */
export type Pair = readonly [string, string];

/**
 * Two flavours, mixed: hostile (any text anywhere, so most searches are refused with a
 * 400) and clean (values from the records and well-formed dates and numbers, the modifiers
 * each type supports), so that compiling, executing, paging and including get exercised too.
 */
export function searchArbitraries(p: Pools) {
  const hostile = flavour(p, false);
  const clean = flavour(p, true);
  const search = fc.oneof({ arbitrary: hostile.search, weight: 1 }, { arbitrary: clean.search, weight: 1 });
  const pair = (type: string) => fc.oneof(hostile.pair(type), clean.pair(type));
  return { ...hostile, search, pair };
}

const CLEAN_MODIFIERS: Record<SearchParamType, readonly string[]> = {
  token: ['text', 'not', 'missing'], string: ['exact', 'contains', 'missing'], uri: ['below', 'above', 'missing'],
  date: ['missing'], number: ['missing'], quantity: ['missing'], reference: ['missing', 'Patient', 'Practitioner', 'Organization'], composite: [], special: [],
};

function flavour(p: Pools, clean: boolean) {
  const allTypes = p.registry.resourceTypes();
  const anyId = fc.oneof(
    { arbitrary: fc.constantFrom(...p.idsA), weight: 2 },
    { arbitrary: fc.constantFrom(...p.idsB), weight: 3 },
    { arbitrary: anyText(), weight: clean ? 0 : 1 },
  );
  const bareId = anyId.map((k) => (k.includes('/') ? k.slice(k.indexOf('/') + 1) : k));
  const word = fc.oneof({ arbitrary: fc.constantFrom(...p.words), weight: 4 }, { arbitrary: anyText(), weight: clean ? 0 : 2 });

  const date = fc.oneof(
    fc.constantFrom('2020', '2020-01', '2020-01-01', '2020-01-01T10:00', '2020-01-01T10:00:00Z', '2020-01-01T10:00:00.123+05:30', '2020-13-45', '2020-02-30T25:61:61Z', '0000', '9999-12-31', '-2020', '+275760-09-13', '1970', '20200101', '2020-1-1', 'today', '2020-01-01T10:00:00+99:99', '2020-01-01T24:00:00Z'),
    fc.date({ min: new Date(-62135596800000), max: new Date(253402300799000), noInvalidDate: true }).chain((d) => fc.constantFrom(4, 7, 10, 19, 24).map((n) => d.toISOString().slice(0, n))),
    clean ? fc.constantFrom(...p.words.filter((x) => /^\d{4}-\d\d-\d\d/.test(x)), '2020') : word,
  );
  const number = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: clean, noDefaultInfinity: clean }).map(String),
    fc.bigInt().map(String),
    clean ? fc.constantFrom('0', '1.5', '-2', '1e3', '120', '70.5') : fc.constantFrom('1e309', '-1e309', '1'.repeat(400), '0x10', '1.', '.5', '-0', '1e-400', '1.0e2', '01', '+1', '1,5', '١٢', '9007199254740993'),
  );
  const code = clean ? word : fc.oneof(word, fc.constantFrom('\\|', '\\,', '\\$', 'a\\', '\\\\'));
  const token = fc.oneof(
    { arbitrary: code, weight: 3 },
    { arbitrary: fc.tuple(word, code).map(([s, c]) => `${s}|${c}`), weight: 3 },
    { arbitrary: code.map((c) => `|${c}`), weight: 1 },
    { arbitrary: word.map((s) => `${s}|`), weight: 1 },
    { arbitrary: fc.constantFrom('|', '||', '|||', 'a|b|c'), weight: 1 },
  );
  const quantity = fc.oneof(
    number,
    fc.tuple(number, fc.option(word, { nil: '' }), fc.option(word, { nil: '' })).map(([n, s, c]) => `${n}|${s}|${c}`),
    fc.tuple(number, word).map(([n, c]) => `${n}||${c}`),
  );
  const reference = fc.oneof(
    bareId,
    anyId,
    anyId.map((k) => `${p.baseUrl}/${k}`),
    anyId.map((k) => `http://elsewhere.example/fhir/${k}`),
    anyId.map((k) => `${k}/_history/1`),
    fc.constantFrom('urn:uuid:', 'Patient/', '/Patient/x', 'Patient//x', `${p.baseUrl}/`, 'Unknown/x'),
  );
  const uri = fc.oneof(word, fc.webUrl(), fc.constantFrom('http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient', 'urn:oid:2.16', 'http://', ''));
  const byType: Record<SearchParamType, fc.Arbitrary<string>> = {
    token, string: word, date, number, quantity, reference, uri, composite: word, special: word,
  };
  // Any prefix on any type: `gt` on a token or a string is nonsense a client may still send.
  const ordered = (type: SearchParamType) => type === 'date' || type === 'number' || type === 'quantity';
  const valueOf = (type: SearchParamType) =>
    clean && !ordered(type)
      ? byType[type]
      : fc.oneof(
          { arbitrary: byType[type], weight: ordered(type) ? 2 : 5 },
          { arbitrary: fc.tuple(fc.constantFrom(...(clean ? PREFIXES.slice(0, 9) : PREFIXES)), byType[type]).map(([pre, v]) => pre + v), weight: 2 },
        );
  /** One to a few comma-separated values, sometimes past the limit of 100. */
  const values = (type: SearchParamType) =>
    fc.oneof(
      { arbitrary: fc.array(valueOf(type), { minLength: 1, maxLength: 4 }).map((vs) => vs.join(',')), weight: 12 },
      { arbitrary: fc.constantFrom('', ',', 'true', 'false'), weight: 1 },
      { arbitrary: fc.tuple(valueOf(type), fc.integer({ min: clean ? 20 : 95, max: clean ? 100 : 130 })).map(([v, n]) => Array(n).fill(v).join(',')), weight: 1 },
    );

  const modifier = fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: fc.constantFrom(...MODIFIERS), weight: 3 }, { arbitrary: fc.constantFrom(...allTypes), weight: 1 });
  const withModifier = (code: string, type?: SearchParamType) =>
    clean && type
      ? fc.oneof({ arbitrary: fc.constant(code), weight: 3 }, { arbitrary: CLEAN_MODIFIERS[type].length ? fc.constantFrom(...CLEAN_MODIFIERS[type]).map((m) => `${code}:${m}`) : fc.constant(code), weight: 1 })
      : modifier.map((m) => (m === undefined ? code : `${code}:${m}`));
  /** A value that fits `name` (`:missing` takes true or false). */
  const valuesFor = (name: string, type: SearchParamType) => (name.endsWith(':missing') ? fc.constantFrom('true', 'false') : values(type));
  const filterOf = (d: SearchParamDef) => withModifier(d.code, d.type).chain((n) => fc.tuple(fc.constant(n), clean ? valuesFor(n, d.type) : values(d.type)));

  const paramsOf = (type: string): readonly SearchParamDef[] => p.registry.forType(type);
  const filterPair = (type: string): fc.Arbitrary<Pair> => {
    const defs = paramsOf(type);
    const special = fc.oneof(
      fc.tuple(clean ? fc.constant('_id') : withModifier('_id'), fc.array(bareId, { minLength: 1, maxLength: 5 }).map((v) => v.join(','))),
      fc.tuple(clean ? fc.constant('_lastUpdated') : withModifier('_lastUpdated'), values('date')),
    );
    if (defs.length === 0) return special;
    return fc.oneof(
      { arbitrary: fc.constantFrom(...defs).chain(filterOf), weight: 8 },
      { arbitrary: special, weight: 1 },
    );
  };
  /** `ref[:Type].param=value`, sometimes two levels deep, sometimes through a type the reference cannot hold. */
  const chainPair = (type: string): fc.Arbitrary<Pair> => {
    const refs = paramsOf(type).filter((d) => d.type === 'reference');
    if (refs.length === 0) return filterPair(type);
    return fc.constantFrom(...refs).chain((ref) => {
      const targets = ref.targets.filter((x) => p.registry.isResourceType(x));
      const target = targets.length ? fc.oneof(fc.constantFrom(...targets), fc.constantFrom(...allTypes)) : fc.constantFrom(...allTypes);
      return fc.tuple(fc.option(target, { nil: undefined }), target).chain(([explicit, inner]) => {
        const innerDefs = paramsOf(inner);
        const innerPair = innerDefs.length ? fc.constantFrom(...innerDefs).chain(filterOf) : fc.tuple(fc.constant('_id'), bareId);
        const left = explicit ? `${ref.code}:${explicit}` : ref.code;
        return fc.oneof(
          innerPair.map(([n, v]) => [`${left}.${n}`, v] as const),
          fc.tuple(innerPair, fc.constantFrom('subject', 'patient', 'organization', 'name', 'x')).map(([[n, v], more]) => [`${left}.${more}.${n}`, v] as const),
        );
      });
    });
  };
  /** `_has:Type:ref:param=value` (reverse chaining). */
  const hasPair: fc.Arbitrary<Pair> = fc.constantFrom(...API_TYPES).chain((src) => {
    const refs = paramsOf(src).filter((d) => d.type === 'reference');
    const ref = refs.length ? fc.constantFrom(...refs.map((d) => d.code)) : fc.constant('patient');
    return fc.tuple(ref, fc.constantFrom(...paramsOf(src).map((d) => d.code), '_id')).chain(([r, q]) => values(p.registry.get(src, q)?.type ?? 'token').map((v) => [`_has:${src}:${r}:${q}`, v] as const));
  });

  const includeValue = (type: string) =>
    fc.oneof(
      clean ? fc.constantFrom('*', `${type}:*`, 'Provenance:target', `${type}:subject:Patient`) : fc.constantFrom('*', `${type}:*`, '*:*', `${type}:`, ':', `${type}:subject:Patient`, 'Provenance:target', `${type}:patient:Group`),
      fc.tuple(fc.constantFrom(...API_TYPES), fc.option(fc.constantFrom(...allTypes), { nil: undefined })).chain(([src, target]) => {
        const refs = paramsOf(src).filter((d) => d.type === 'reference').map((d) => d.code);
        return fc.constantFrom(...refs, ...(clean && refs.length ? [] : ['name', '_id'])).map((r) => (target ? `${src}:${r}:${target}` : `${src}:${r}`));
      }),
      clean ? fc.constant('*') : anyText(),
    );
  const sortable = (type: string) => fc.constantFrom(...paramsOf(type).map((d) => d.code), '_id', '_lastUpdated', '_score', '');
  const controlPair = (type: string): fc.Arbitrary<Pair> =>
    fc.oneof(
      fc.tuple(fc.constantFrom('_include', '_revinclude', '_include:iterate', '_revinclude:iterate', '_include:recurse', ...(clean ? [] : ['_include:bogus'])), includeValue(type)),
      fc.tuple(fc.constant('_sort'), fc.array(fc.tuple(fc.boolean(), sortable(type)).map(([d, s]) => (d ? `-${s}` : s)), { minLength: 1, maxLength: 4 }).map((x) => x.join(','))),
      fc.tuple(fc.constant('_count'), clean ? fc.integer({ min: 0, max: 1200 }).map(String) : fc.oneof(fc.integer({ min: -2, max: 1200 }).map(String), fc.constantFrom('0', '1', '1000', '1001', '99999999999999', '1e3', '', 'ten', '-0', '5.5'))),
      fc.tuple(fc.constant('_elements'), fc.oneof(fc.array(fc.constantFrom('id', 'meta', 'subject', 'code', 'name', 'text', 'status', `${type}.status`, ...(clean ? [] : ['x.y', '*', ''])), { minLength: 1, maxLength: 5 }).map((x) => x.join(',')), clean ? fc.constant('id') : anyText())),
      fc.tuple(fc.constant('_summary'), clean ? fc.constantFrom('true', 'false', 'text', 'data', 'count') : fc.constantFrom('true', 'false', 'text', 'data', 'count', 'TRUE', '', 'x')),
      fc.tuple(fc.constant('_total'), clean ? fc.constantFrom('none', 'estimate', 'accurate') : fc.constantFrom('none', 'estimate', 'accurate', 'x', '')),
      ...(clean
        ? []
        : [
            fc.tuple(fc.constant('_cursor'), fc.oneof(fc.base64String({ maxLength: 80 }), anyText(), fc.json().map((j) => Buffer.from(j).toString('base64url')))),
            fc.tuple(fc.constantFrom(...CONTROL), anyText()),
          ]),
    );
  const garbagePair: fc.Arbitrary<Pair> = fc.tuple(fc.oneof(anyText(), fc.constantFrom('', '=', '__proto__', 'constructor', 'hasOwnProperty', 'a'.repeat(300), '.', ':', 'subject..name', 'subject.', '.name', ':missing')), anyText());

  const pair = (type: string): fc.Arbitrary<Pair> =>
    fc.oneof(
      { arbitrary: filterPair(type), weight: 10 },
      { arbitrary: chainPair(type), weight: 2 },
      { arbitrary: hasPair, weight: clean ? 0 : 1 },
      { arbitrary: controlPair(type), weight: 4 },
      { arbitrary: garbagePair, weight: clean ? 0 : 1 },
    );

  /** The type searched: mostly the US Core types, sometimes any R4 type or none at all. */
  const searchType = fc.oneof(
    { arbitrary: fc.constantFrom(...API_TYPES), weight: 12 },
    { arbitrary: fc.constantFrom(...allTypes), weight: clean ? 0 : 2 },
    { arbitrary: fc.constantFrom('patient', 'PATIENT', 'Patient ', '_history', 'metadata', '$everything', 'Resource', 'DomainResource', '__proto__', 'constructor'), weight: clean ? 0 : 1 },
  );

  /** A whole search: a type and its pairs (duplicates on purpose, sometimes past 100 of them). */
  const search = searchType.chain((type) =>
    fc.tuple(
      fc.constant(type),
      fc.oneof(
        { arbitrary: fc.array(pair(type), { maxLength: 6 }), weight: 20 },
        { arbitrary: fc.array(pair(type), { minLength: 1, maxLength: 3 }).chain((ps) => fc.integer({ min: 2, max: 40 }).map((n) => Array.from({ length: n }, (_, i) => ps[i % ps.length]))), weight: 2 },
        { arbitrary: fc.tuple(pair(type), fc.integer({ min: 95, max: 110 })).map(([pp, n]) => Array(n).fill(pp) as Pair[]), weight: 1 },
      ),
    ),
  );
  return { search, searchType, pair, anyId, bareId, word };
}

/** `name=value&…`, each part encoded strictly, loosely, or with a bad escape. */
export const encodePairs = (pairs: readonly Pair[]): fc.Arbitrary<string> =>
  pairs.length === 0
    ? fc.constant('')
    : fc.tuple(...pairs.map(([n, v]) => fc.tuple(encoded(fc.constant(n)), encoded(fc.constant(v))).map(([en, ev]) => `${en}=${ev}`))).map((parts) => parts.join('&'));
