import type { BoundaryDetector } from '../helpers/boundary.js';
import type { FuzzRequest } from './requests.js';

/**
 * What every response to a fuzzed request must satisfy (SPEC "FHIR API behaviour" and
 * "Credentials, tokens and the patient's boundary"; RFC 6749 §5.2):
 * - never a 5xx, never a stack trace or a driver message;
 * - under /fhir, every error an OperationOutcome sent as application/fhir+json, a 401 with
 *   WWW-Authenticate, a 429 with Retry-After;
 * - at /oauth/token, every error `{error, error_description?}` JSON with an RFC 6749 code;
 * - nothing of patient B's in any response (the boundary detector, plus B's marker name
 *   and id never appearing unless the caller sent them).
 */
export interface Sent {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  /** The URL as the server saw it (see injectedUrl). */
  url: string;
}

const RFC6749_ERRORS = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);
const LEAKY = /\bat [^\n]*\.(ts|tsx|js|mjs):\d+|SQLITE_|node_modules|syntax error at or near|violates .* constraint|TypeError|RangeError|ReferenceError|Cannot read propert/;
const ISSUE_SEVERITY = new Set(['fatal', 'error', 'warning', 'information']);

export function surfaceOf(url: string): 'fhir' | 'oauth' | 'web' | 'other' {
  const path = url.split('?')[0];
  // The same rule the app applies to errors raised before routing (src/app.ts).
  if (path === '/fhir' || path.startsWith('/fhir/')) return 'fhir';
  if (path.startsWith('/oauth/')) return 'oauth';
  if (path.startsWith('/portal') || path.startsWith('/admin')) return 'web';
  return 'other';
}

export interface Oracle {
  bMarkers: readonly string[];
  detector: BoundaryDetector;
}

/** The first rule `res` breaks, or undefined. `sent` is the request as sent (placeholders filled in). */
export function judge(oracle: Oracle, req: FuzzRequest, sent: string, res: Sent): string | undefined {
  if (res.status >= 500) return `status ${res.status}`;
  if (LEAKY.test(res.body)) return 'the body shows an internal error (stack, driver message or exception name)';
  const ct = String(res.headers['content-type'] ?? '');
  const surface = surfaceOf(res.url);
  const hasBody = req.method !== 'HEAD' && res.status !== 304 && res.status !== 204;
  let parsed: unknown;
  if (hasBody && /json/.test(ct) && res.body) {
    try {
      parsed = JSON.parse(res.body);
    } catch {
      return `a ${ct} body that is not JSON`;
    }
  }
  if (surface === 'fhir' && res.status >= 400) {
    if (!ct.startsWith('application/fhir+json')) return `a FHIR error sent as "${ct}"`;
    if (hasBody) {
      const o = parsed as { resourceType?: string; issue?: Array<{ severity?: string; code?: string; diagnostics?: unknown }> } | undefined;
      if (o?.resourceType !== 'OperationOutcome') return 'a FHIR error that is not an OperationOutcome';
      if (!Array.isArray(o.issue) || o.issue.length === 0) return 'an OperationOutcome without issues';
      for (const i of o.issue) {
        if (!ISSUE_SEVERITY.has(String(i.severity)) || typeof i.code !== 'string' || (i.diagnostics !== undefined && typeof i.diagnostics !== 'string')) return 'a malformed OperationOutcome issue';
      }
    }
    if (res.status === 401 && !res.headers['www-authenticate']) return '401 without WWW-Authenticate';
    if (res.status === 429 && !res.headers['retry-after']) return '429 without Retry-After';
  }
  if (surface === 'oauth' && res.status >= 400) {
    if (!ct.startsWith('application/json')) return `an OAuth error sent as "${ct}"`;
    if (hasBody) {
      const o = parsed as { error?: unknown; error_description?: unknown } | undefined;
      if (!o || !RFC6749_ERRORS.has(String(o.error))) return `an OAuth error with error=${JSON.stringify(o?.error)}`;
      if (o.error_description !== undefined && typeof o.error_description !== 'string') return 'an OAuth error_description that is not a string';
      if (Object.keys(o).some((k) => !['error', 'error_description', 'error_uri'].includes(k))) return 'an OAuth error with extra members';
    }
    if (!String(res.headers['cache-control'] ?? '').includes('no-store')) return 'an OAuth error without Cache-Control: no-store';
    if (res.status === 401 && !res.headers['www-authenticate']) return '401 without WWW-Authenticate';
  }
  if (parsed !== undefined && (parsed as { resourceType?: string }).resourceType !== 'CapabilityStatement') {
    const leak = oracle.detector.violation(parsed, sent);
    if (leak) return `boundary: ${leak}`;
  }
  for (const marker of oracle.bMarkers) {
    if (res.body.includes(marker) && !sent.includes(marker)) return `boundary: the body holds B's "${marker}"`;
  }
  return undefined;
}
