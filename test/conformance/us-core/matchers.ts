/**
 * Does a returned resource match a search parameter? Inferno's rules
 * (conformance/inferno-checklist.md §0), written independently of the server: tokens
 * case-insensitive on the code (system exact when given), references as `id`, `Type/id`
 * or an absolute URL, strings case-insensitive starts-with, dates with FHIR range
 * semantics (https://hl7.org/fhir/R4/search.html#prefix).
 */
import { elementsOf, paramValues } from './elements.js';
import { BASE, type Json } from './harness.js';

const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
type Prefix = (typeof PREFIXES)[number];
interface Range { lo: number; hi: number }

/** True when `resource` matches `param=value` (a comma is OR). */
export function matches(resource: Json, param: string, value: string): boolean {
  const { kind } = elementsOf(resource.resourceType, param);
  const nodes = paramValues(resource, param);
  return value.split(',').some((v) => {
    switch (kind) {
      case 'id': return resource.id === v;
      case 'token': return nodes.some((n) => tokenMatches(n, v));
      case 'reference': return nodes.some((n) => referenceMatches(n, v));
      case 'string': return nodes.some((n) => stringMatches(n, v));
      case 'uri': return nodes.some((n) => n === v);
      case 'date': return nodes.some((n) => dateMatches(n, v));
    }
  });
}

export function tokenMatches(node: unknown, search: string): boolean {
  const bar = search.indexOf('|');
  const system = bar < 0 ? undefined : search.slice(0, bar);
  const code = (bar < 0 ? search : search.slice(bar + 1)).toLowerCase();
  const hit = (s: unknown, c: unknown) =>
    (system === undefined || (system === '' ? s === undefined : s === system)) && (code === '' || String(c ?? '').toLowerCase() === code);
  if (typeof node === 'string' || typeof node === 'boolean') return system === undefined && String(node).toLowerCase() === code;
  const n = node as Json;
  if (Array.isArray(n.coding)) return n.coding.some((c: Json) => hit(c.system, c.code));
  if ('value' in n && !('code' in n)) return hit(n.system, n.value); // Identifier
  return hit(n.system, n.code); // Coding
}

export function referenceMatches(node: unknown, search: string): boolean {
  const ref = (node as Json)?.reference;
  if (typeof ref !== 'string') return false;
  const local = (s: string) => (s.startsWith(`${BASE}/`) ? s.slice(BASE.length + 1) : s);
  const r = local(ref);
  const s = local(search);
  return s.includes('/') ? r === s : r.split('/').pop() === s;
}

const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

export function stringMatches(node: unknown, search: string): boolean {
  const texts = typeof node === 'string' ? [node] : humanNameParts(node as Json);
  return texts.some((t) => fold(t).startsWith(fold(search)));
}

function humanNameParts(n: Json): string[] {
  return [n.family, n.text, ...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? []), ...(n.line ?? []), n.city, n.state, n.postalCode, n.country].filter(
    (x): x is string => typeof x === 'string',
  );
}

export function dateMatches(node: unknown, search: string): boolean {
  const prefix = (PREFIXES as readonly string[]).includes(search.slice(0, 2)) ? (search.slice(0, 2) as Prefix) : 'eq';
  const q = dateRange(prefix === 'eq' && !search.startsWith('eq') ? search : search.slice(2));
  const t = typeof node === 'string' ? dateRange(node) : periodRange(node as Json);
  const eq = t.lo >= q.lo && t.hi <= q.hi;
  switch (prefix) {
    case 'eq': return eq;
    case 'ne': return !eq;
    case 'gt': return t.hi > q.hi;
    case 'lt': return t.lo < q.lo;
    case 'ge': return t.hi > q.hi || eq;
    case 'le': return t.lo < q.lo || eq;
    case 'sa': return t.lo > q.hi;
    case 'eb': return t.hi < q.lo;
    case 'ap': return t.lo <= q.hi && t.hi >= q.lo;
  }
}

function periodRange(p: Json): Range {
  return { lo: p.start ? dateRange(p.start).lo : -Infinity, hi: p.end ? dateRange(p.end).hi : Infinity };
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The instant range a FHIR date, dateTime or instant denotes at its precision (no zone = UTC). */
export function dateRange(value: string): Range {
  const m = DATE.exec(value.replace(' ', '+'));
  if (!m) throw new Error(`not a FHIR date: ${value}`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const offset = !zone || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const at = (yy: number, mm: number, dd: number, hh = 0, mn = 0, ss = 0, ms = 0) => Date.UTC(yy, mm, dd, hh, mn, ss, ms) - offset * 60_000;
  const Y = Number(y);
  if (mo === undefined) return { lo: at(Y, 0, 1), hi: at(Y + 1, 0, 1) - 1 };
  const M = Number(mo) - 1;
  if (d === undefined) return { lo: at(Y, M, 1), hi: at(Y, M + 1, 1) - 1 };
  const D = Number(d);
  if (h === undefined) return { lo: at(Y, M, D), hi: at(Y, M, D + 1) - 1 };
  if (s === undefined) return { lo: at(Y, M, D, +h, +mi), hi: at(Y, M, D, +h, +mi + 1) - 1 };
  if (frac === undefined) return { lo: at(Y, M, D, +h, +mi, +s), hi: at(Y, M, D, +h, +mi, +s + 1) - 1 };
  const ms = Math.floor(Number(`0${frac}`) * 1000);
  return { lo: at(Y, M, D, +h, +mi, +s, ms), hi: at(Y, M, D, +h, +mi, +s, ms) };
}
