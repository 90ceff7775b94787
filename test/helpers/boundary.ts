/**
 * The patient-boundary detector (SPEC "Credentials, tokens and the patient's boundary"),
 * shared by the boundary suite (test/auth/patient-boundary) and the fuzz suite: what
 * patient A may see is computed from the bundles themselves, independently of the server,
 * and every response made with A's credential is checked against it.
 */
type Json = Record<string, any>;

/**
 * `Type/id` of every resource of a patient bundle (`own`) and of everything its references
 * point at (`all`); conditional references are resolved through `byIdentifier`
 * (`Type|system|value` → `Type/id`).
 */
export function reach(bundle: Json, byIdentifier: Map<string, string> = new Map()) {
  const own = new Set<string>();
  const byUrl = new Map<string, string>();
  for (const e of bundle.entry) {
    const key = `${e.resource.resourceType}/${e.resource.id}`;
    own.add(key);
    byUrl.set(e.fullUrl, key);
  }
  const referenced = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'reference' && typeof x === 'string') {
        const target = byUrl.get(x) ?? byIdentifier.get(x.replace(/\?identifier=/, '|')) ?? (/^[A-Z]\w+\/[\w.-]+$/.test(x) ? x : undefined);
        if (target) referenced.add(target);
      } else walk(x);
    }
  };
  walk(bundle.entry.map((e: Json) => e.resource));
  return { own, all: new Set([...own, ...referenced]) };
}

export interface BoundaryDetector {
  /**
   * The first way `body` (a parsed response to a request made with A's credential)
   * oversteps A's boundary, or undefined: a resource A may not see, or an error that names
   * an id of B's the caller did not send (`sent`: the request's URL, headers and body).
   */
  violation(body: unknown, sent: string): string | undefined;
}

/** `allowed`: every `Type/id` A may see; `onlyB`: B's resources A may not see. */
export function boundaryDetector(allowed: ReadonlySet<string>, onlyB: readonly string[]): BoundaryDetector {
  const idsB = onlyB.map((key) => [key, key.split('/')[1]] as const);
  return {
    violation(body, sent) {
      const b = (body && typeof body === 'object' ? body : {}) as Json;
      const resources: Json[] =
        b.resourceType === 'Bundle' ? (Array.isArray(b.entry) ? b.entry : []).map((e: Json) => e?.resource).filter(Boolean) : b.resourceType ? [b] : [];
      for (const r of resources) {
        if (r.resourceType === 'OperationOutcome') {
          // An error may echo what the caller sent, never an id of B's it did not send.
          const text = JSON.stringify(r);
          for (const [key, id] of idsB) if (!sent.includes(id) && text.includes(id)) return `an OperationOutcome revealed ${key}`;
          continue;
        }
        const key = `${r.resourceType}/${r.id}`;
        if (!allowed.has(key)) return `returned ${key}`;
      }
      return undefined;
    },
  };
}
