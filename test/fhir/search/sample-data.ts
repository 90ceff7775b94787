import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The shared third-party sample data (/work/shared/data, see its README.md), read in
 * place (never copied into the repository). Bundles are flattened to their resources with
 * `urn:uuid:` references rewritten to `Type/id`, as the importer does before indexing.
 */
export const SHARED_DATA = process.env.CHARTKEY_SHARED_DATA ?? '/work/shared/data';
export const SAMPLE_DIRS = ['synthea', 'us-core-examples', 'us-core-examples/inferno'].map((d) => join(SHARED_DATA, d));

export type Resource = Record<string, unknown> & { resourceType: string; id?: string };

export interface SampleFile {
  file: string;
  resources: Resource[];
}

/** Whether the sample folders exist; prints a notice when they do not. */
export function sampleDataAvailable(): boolean {
  const ok = SAMPLE_DIRS.every((d) => existsSync(d));
  if (!ok) console.warn(`NOTICE: sample data not found under ${SHARED_DATA}; sample-data tests are skipped.`);
  return ok;
}

function rewriteUrnRefs(node: unknown, urnToRef: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (const x of node) rewriteUrnRefs(x, urnToRef);
  } else if (node !== null && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (key === 'reference' && typeof v === 'string' && v.startsWith('urn:uuid:')) {
        const target = urnToRef.get(v);
        if (target) obj[key] = target;
      } else {
        rewriteUrnRefs(v, urnToRef);
      }
    }
  }
}

/** The resources of one file: a Bundle's entries (urn:uuid references rewritten) or a single resource. */
export function readSampleFile(path: string): Resource[] {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Resource;
  if (json.resourceType !== 'Bundle') return [json];
  const entries = (json.entry ?? []) as { fullUrl?: string; resource?: Resource }[];
  const urnToRef = new Map<string, string>();
  for (const e of entries) {
    if (e.fullUrl && e.resource?.id) urnToRef.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
  }
  const resources = entries.map((e) => e.resource).filter((r): r is Resource => !!r);
  for (const r of resources) rewriteUrnRefs(r, urnToRef);
  return resources;
}

export function loadSampleFiles(): SampleFile[] {
  const out: SampleFile[] = [];
  for (const dir of SAMPLE_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.json')) continue;
      out.push({ file: join(dir, name), resources: readSampleFile(join(dir, name)) });
    }
  }
  return out;
}
