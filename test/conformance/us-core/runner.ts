/**
 * Runs one US Core group the way Inferno does (checklist §0): the first search with the
 * patient id (one per fixed value), its variants, then every other search with values
 * taken from what the first returned, each with its token, comparator and multiple-OR
 * variants. Problems are collected as readable lines, not thrown, so one run reports all.
 */
import type { Json, SearchOutcome, UsCoreClient } from './harness.js';
import { matches, referenceMatches } from './matchers.js';
import { elementsOf } from './elements.js';
import { OR_VALUES, type GroupDef, type SearchDef } from './search-table.js';
import { comparatorValue, dateBase, searchValue, systemToken } from './values.js';

type Params = Array<[string, string]>;
export interface GroupReport {
  failures: string[];
  /** SHOULD searches Inferno would skip for lack of data. */
  skipped: string[];
  searches: number;
  variants: number;
  /** Every resource any search of the group returned (matches, includes, revincludes). */
  returned: Json[];
}

const COMPARATORS = ['gt', 'ge', 'lt', 'le'] as const;
const fmt = (type: string, params: Params) => `${type}?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;

export async function runGroup(c: UsCoreClient, g: GroupDef): Promise<GroupReport> {
  const report: GroupReport = { failures: [], skipped: [], searches: 0, variants: 0, returned: [] };
  const fail = (msg: string) => report.failures.push(`${g.group}: ${msg}`);

  /** Runs a search, checks 200 + every match + the patient's boundary; returns the matches of the type. */
  async function run(params: Params, how: 'get' | 'post' = 'get', extra: Params = []): Promise<{ own: Json[]; out: SearchOutcome }> {
    const out = how === 'get' ? await c.search(g.type, [...params, ...extra]) : await c.postSearch(g.type, [...params, ...extra]);
    report.returned.push(...out.resources);
    if (out.status !== 200) {
      fail(`${how.toUpperCase()} ${fmt(g.type, [...params, ...extra])} → ${out.status} ${JSON.stringify(out.body).slice(0, 300)}`);
      return { own: [], out };
    }
    const own = out.resources.filter((r) => r.resourceType === g.type);
    for (const r of own) {
      for (const [p, v] of params) if (!matches(r, p, v)) fail(`${fmt(g.type, params)} returned ${g.type}/${r.id}, which does not match ${p}=${v}`);
      if (!belongsTo(r, c.patientId)) fail(`${fmt(g.type, params)} returned ${g.type}/${r.id} outside patient ${c.patientId}`);
    }
    return { own, out };
  }

  // 1. First search, once per fixed value (Inferno never comma-joins them).
  const scratch: Json[] = [];
  let first: Params | undefined;
  let firstCount = 0;
  for (const fixed of g.fixed?.values ?? [undefined]) {
    const params: Params = g.first.map((p) => [p, p === 'patient' || p === '_id' ? c.patientId : (fixed as string)]);
    report.searches++;
    const { own } = await run(params);
    for (const r of own) if (!scratch.some((s) => s.id === r.id)) scratch.push(r);
    if (own.length > 0 && !first) [first, firstCount] = [params, own.length];
  }
  if (!first) {
    fail(`the first search (${g.first.join('+')}) found no data for patient 0`);
    return report;
  }

  // 2. Variants of the first search, and the read of its first resource (UC read_test.rb).
  const variant = () => report.variants++;
  variant();
  const read = await c.read(g.type, scratch[0].id);
  if (read.status !== 200 || read.body.resourceType !== g.type || read.body.id !== scratch[0].id) fail(`read ${g.type}/${scratch[0].id} → ${read.status}`);
  if (first.some(([p]) => p === 'patient')) {
    variant();
    const typed = first.map(([p, v]): [string, string] => [p, p === 'patient' ? `Patient/${v}` : v]);
    const n = (await run(typed)).own.length;
    if (n !== firstCount) fail(`patient=Patient/id returned ${n}, patient=id ${firstCount}`);
  }
  variant();
  const posted = (await run(first, 'post')).own.length;
  if (posted !== firstCount) fail(`POST _search returned ${posted}, GET ${firstCount}`);
  await tokenVariants(first, scratch[0] ?? {});
  variant();
  const paged = await c.search(g.type, first, { count: 3 });
  const pagedIds = paged.resources.filter((r) => r.resourceType === g.type).map((r) => r.id);
  if (paged.status !== 200 || new Set(pagedIds).size !== firstCount || pagedIds.length !== firstCount) {
    fail(`paging by _count=3 over ${paged.pages} pages gave ${pagedIds.length} (${new Set(pagedIds).size} distinct), expected ${firstCount}`);
  }
  await provenance(first);
  if (g.includeMedication) await includeMedication(first);
  if (g.firstOr && g.fixed) {
    variant();
    const all: Params = first.map(([p, v]) => [p, p === g.fixed?.param ? g.fixed.values.join(',') : v]);
    const ids = new Set((await run(all)).own.map((r) => r.id));
    for (const r of scratch) if (!ids.has(r.id)) fail(`${fmt(g.type, all)} lost ${g.type}/${r.id}`);
  }

  // 3. The other searches, values from the first search's resources.
  for (const s of g.searches) await other(s);
  return report;

  async function other(s: SearchDef) {
    const source = scratch.find((r) => s.params.every((p) => searchValue(r, p, c.patientId) !== undefined));
    const label = `${s.required ? 'REQUIRED' : 'SHOULD'} ${s.params.join('+')}`;
    if (!source) {
      if (s.required) fail(`${label}: no resource of the first search has values for every parameter`);
      else report.skipped.push(`${g.group}: ${label} (no data)`);
      return;
    }
    const params: Params = s.params.map((p) => [p, searchValue(source, p, c.patientId) as string]);
    report.searches++;
    const { own } = await run(params);
    if (!own.some((r) => r.id === source.id)) fail(`${fmt(g.type, params)} did not return ${g.type}/${source.id}, whose values it searched for`);
    await tokenVariants(params, source);
    if (s.comparators) {
      for (const [p] of params.filter(([p]) => elementsOf(g.type, p).kind === 'date')) {
        const base = dateBase(source, p) as string;
        for (const cmp of COMPARATORS) {
          variant();
          const q: Params = params.map(([k, v]) => [k, k === p ? comparatorValue(cmp, base) : v]);
          const hit = (await run(q)).own;
          if (!hit.some((r) => r.id === source.id)) fail(`${fmt(g.type, q)} did not return ${g.type}/${source.id} (${p} ${base})`);
        }
      }
    }
    if (s.or) {
      variant();
      const q: Params = params.map(([k, v]) => [k, s.or?.includes(k) ? OR_VALUES[`${g.type}.${k}`].join(',') : v]);
      const ids = new Set((await run(q)).own.map((r) => r.id));
      const expected = scratch.filter((r) => q.every(([k, v]) => matches(r, k, v)));
      for (const r of expected) if (!ids.has(r.id)) fail(`${fmt(g.type, q)} lost ${g.type}/${r.id}`);
    }
  }

  /** `system|code` for every token parameter: ≥1 result, all matching. */
  async function tokenVariants(params: Params, source: Json) {
    for (const [p, v] of params) {
      if (elementsOf(g.type, p).kind !== 'token' || p === '_id') continue;
      const token = systemToken(source, p, v);
      if (!token) continue;
      variant();
      const q: Params = params.map(([k, x]) => [k, k === p ? token : x]);
      if ((await run(q)).own.length === 0) fail(`${fmt(g.type, q)} (system|code) returned nothing`);
    }
  }

  /** `_revinclude=Provenance:target` returns ≥1 Provenance, each targeting a returned resource. */
  async function provenance(params: Params) {
    variant();
    const { own, out } = await run(params, 'get', [['_revinclude', 'Provenance:target']]);
    const provs = out.resources.filter((r) => r.resourceType === 'Provenance');
    if (provs.length === 0) fail(`${fmt(g.type, params)}&_revinclude=Provenance:target returned no Provenance`);
    for (const p of provs) {
      const targets = (p.target ?? []) as Json[];
      if (!targets.some((t) => own.some((r) => referenceMatches(t, `${g.type}/${r.id}`)))) fail(`revincluded Provenance/${p.id} targets none of the matches`);
    }
  }

  /** `_include=<Type>:medication` returns the referenced Medications and only those. */
  async function includeMedication(params: Params) {
    variant();
    const { own, out } = await run(params, 'get', [['_include', `${g.type}:medication`]]);
    const refs = new Set(own.map((r) => r.medicationReference?.reference).filter((r): r is string => typeof r === 'string' && !r.startsWith('#')));
    const meds = out.resources.filter((r) => r.resourceType === 'Medication');
    if (refs.size === 0) fail(`no ${g.type} of the first search has a non-contained medicationReference`);
    else if (meds.length === 0) fail(`_include=${g.type}:medication returned no Medication`);
    for (const m of meds) if (!refs.has(`Medication/${m.id}`)) fail(`included Medication/${m.id} is referenced by no returned ${g.type}`);
  }
}

/** Patient 0's own resource: itself, or a compartment resource whose patient reference is patient 0. */
function belongsTo(r: Json, patientId: string): boolean {
  if (r.resourceType === 'Patient') return r.id === patientId;
  try {
    return matches(r, 'patient', patientId);
  } catch {
    return true;
  }
}
