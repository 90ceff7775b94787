/** Test helpers: walk FHIR JSON by dotted paths (arrays flattened), collect references. */
import { generatePatients, generateProviders, type Bundle, type Resource } from '../../src/generate/index.js';

/** Every value at `path` ("a.b.c"), descending into arrays at each step. */
export function valuesAt(node: unknown, path: string): unknown[] {
  let current: unknown[] = [node];
  for (const key of path.split('.')) {
    const next: unknown[] = [];
    for (const item of current) {
      for (const obj of Array.isArray(item) ? item : [item]) {
        if (obj && typeof obj === 'object' && key in (obj as Record<string, unknown>)) {
          const v = (obj as Record<string, unknown>)[key];
          if (Array.isArray(v)) next.push(...v);
          else if (v !== undefined && v !== null) next.push(v);
        }
      }
    }
    current = next;
  }
  return current.filter((v) => v !== '' && !(Array.isArray(v) && v.length === 0));
}

/** True when some alternative of "a.b|c.d" has a value on `resource`. */
export function has(resource: unknown, alternatives: string): boolean {
  return alternatives.split('|').some((p) => valuesAt(resource, p).length > 0);
}

/** Every `reference` string anywhere in the resource, with the path it was found at. */
export function references(node: unknown, path = ''): Array<{ path: string; reference: string }> {
  const out: Array<{ path: string; reference: string }> = [];
  if (Array.isArray(node)) node.forEach((n) => out.push(...references(n, path)));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push({ path, reference: v });
      else out.push(...references(v, path ? `${path}.${k}` : k));
    }
  }
  return out;
}

export function codes(concepts: unknown[]): string[] {
  return concepts.flatMap((c) => valuesAt(c, 'coding').map((x) => `${(x as { system: string }).system}|${(x as { code: string }).code}`));
}

export function profileOf(r: Resource): string {
  return (r.meta?.profile?.[0] ?? '').replace('http://hl7.org/fhir/us/core/StructureDefinition/', '');
}

const cache = new Map<string, Bundle[]>();

/** Generated bundles for (seed, count), cached per test file. */
export function patients(seed: number, count: number): Bundle[] {
  const key = `${seed}/${count}`;
  let list = cache.get(key);
  if (!list) cache.set(key, (list = [...generatePatients({ count, seed })]));
  return list;
}

export function providers(seed: number): Bundle {
  return generateProviders(seed);
}

export function resources(bundle: Bundle, type?: string, profile?: string): Resource[] {
  return bundle.entry.map((e) => e.resource).filter((r) => (!type || r.resourceType === type) && (!profile || profileOf(r) === profile));
}
