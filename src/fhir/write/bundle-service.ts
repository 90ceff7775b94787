import { randomUUID } from 'node:crypto';
import type { Action } from '../../auth/permissions.js';
import { executePlan, type EntryOutcome } from '../../importer/execute-plan.js';
import { ImportError } from '../../importer/errors.js';
import { planBundle, type PlannedEntry } from '../../importer/plan-bundle.js';
import { ReferenceResolver } from '../../importer/reference-resolver.js';
import { FhirError, type Issue, type OperationOutcome } from '../outcome.js';
import type { StoreTx, StoredResource } from '../store/types.js';
import { checkResource } from './check-resource.js';
import { validateShape } from './schema-validator.js';
import { writeErrors } from './write-errors.js';
import { type AuditedWrite, type WriteContext, type WriteDeps, assertMayWrite, auditEvent, inTransaction, parseETag } from './write-service.js';

/** What one entry of a transaction-response or batch-response holds (https://hl7.org/fhir/R4/bundle.html). */
export interface EntryResponse {
  status: string;
  location?: string;
  etag?: string;
  lastModified?: string;
  outcome?: OperationOutcome;
  /** The stored resource (JSON text), for Prefer: return=representation. */
  resourceJson?: string;
}

export interface BundleResult {
  type: 'transaction-response' | 'batch-response';
  entries: EntryResponse[];
}

type RawEntry = Record<string, unknown>;

const STATUS_TEXT: Record<EntryOutcome['outcome'], string> = {
  created: '201 Created',
  updated: '200 OK',
  unchanged: '200 OK',
  matched: '200 OK',
  deleted: '204 No Content',
};

/**
 * `POST [base]` with a transaction or batch Bundle (https://hl7.org/fhir/R4/http.html#transaction).
 * Entries are planned and executed by the importer (src/importer/: urn:uuid and
 * conditional references, ifNoneExist, conditional update, the processing order of
 * http.html#trules), after the checks every write gets here: permission per entry and
 * action, R4 validation, If-Match. A transaction is one store transaction: any failing
 * entry fails it and nothing is stored. A batch runs each entry in its own transaction
 * and reports each entry's status (entries must not depend on one another, http.html#brules).
 * Server-assigned ids: a POST entry always gets a new id (http.html#create).
 */
export function createBundleService({ store, audit }: WriteDeps) {
  const isKnownType = (t: string) => store.registry.isResourceType(t);

  /** Checks, plans and executes `indexes` of `entries` as one transaction. */
  const runTransaction = async (ctx: WriteContext, entries: RawEntry[], indexes: number[], via: string) => {
    const sparse: RawEntry[] = [];
    for (const i of indexes) {
      checkEntry(ctx, entries[i], i);
      sparse[i] = entries[i];
    }
    // A sparse entry list: the planner numbers entries by their index in the request.
    let planned: PlannedEntry[];
    try {
      planned = planBundle({ resourceType: 'Bundle', type: 'transaction', entry: sparse }, { source: 'Bundle', isKnownType }).entries;
    } catch (err) {
      throw located(err);
    }
    planned = planned.map((e) => (e.method === 'POST' || (e.updateCriteria && e.generatedId) ? { ...e, id: randomUUID(), generatedId: false } : e));
    const result = await inTransaction(store, async (tx) => {
      await checkIfMatch(tx, planned, entries);
      let outcomes: EntryOutcome[];
      try {
        outcomes = await executePlan(tx, planned, new ReferenceResolver(tx, isKnownType));
      } catch (err) {
        throw located(err);
      }
      const stored = new Map<number, StoredResource>();
      const current = await tx.currentMany(outcomes);
      for (const o of outcomes) {
        const s = current.get(`${o.type}/${o.id}`);
        if (s) stored.set(o.index, s);
      }
      return { outcomes, stored };
    });
    const writes: AuditedWrite[] = [];
    for (const o of result.outcomes) {
      const action = o.outcome === 'created' ? 'fhir.create' : o.outcome === 'updated' ? 'fhir.update' : o.outcome === 'deleted' ? 'fhir.delete' : undefined;
      const s = result.stored.get(o.index);
      if (action && s) writes.push({ action, stored: s, via });
    }
    if (writes.length) await audit.recordMany(writes.map((w) => auditEvent(ctx, w)));
    return result;
  };

  return {
    async process(ctx: WriteContext, body: unknown): Promise<BundleResult> {
      if (ctx.principal.kind === 'patient') throw writeErrors.forbidden('Patient credentials and patient tokens cannot write');
      if (body === null || typeof body !== 'object' || Array.isArray(body) || (body as RawEntry).resourceType !== 'Bundle') {
        throw writeErrors.badBody('POST to the base URL takes a Bundle of type transaction or batch', 'Bundle');
      }
      const bundle = body as RawEntry;
      if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
        throw writeErrors.badBody(`Bundle.type must be transaction or batch, not ${JSON.stringify(bundle.type ?? null).slice(0, 40)}`, 'Bundle.type');
      }
      // The Bundle's own shape (entries' resources are checked one by one against their types).
      const issues = validateShape(bundle);
      const entries = (Array.isArray(bundle.entry) ? bundle.entry : []) as RawEntry[];
      const indexes = entries.map((_, i) => i);

      if (bundle.type === 'transaction') {
        if (issues.length) throw writeErrors.unprocessable(issues);
        const { outcomes, stored } = await runTransaction(ctx, entries, indexes, 'transaction');
        const byIndex = new Map(outcomes.map((o) => [o.index, o]));
        return { type: 'transaction-response', entries: indexes.map((i) => entryResponse(byIndex.get(i), stored.get(i))) };
      }

      // Issues outside every entry (Bundle.type, the Bundle's own elements) fail the whole batch.
      const outside = issues.filter((x) => !x.expression?.some((e) => /^Bundle\.entry\[\d+\]/.test(e)));
      if (outside.length) throw writeErrors.unprocessable(outside);
      const responses: EntryResponse[] = [];
      for (const i of indexes) {
        try {
          const own = issues.filter((x) => x.expression?.some((e) => e === `Bundle.entry[${i}]` || e.startsWith(`Bundle.entry[${i}].`)));
          if (own.length) throw writeErrors.unprocessable(own);
          const { outcomes, stored } = await runTransaction(ctx, entries, [i], 'batch');
          responses.push(entryResponse(outcomes[0], stored.get(i)));
        } catch (err) {
          if (!(err instanceof FhirError) || err.status >= 500) throw err;
          responses.push({ status: String(err.status), outcome: err.toOutcome() });
        }
      }
      return { type: 'batch-response', entries: responses };
    },
  };

  /** Permission and R4 validity of one entry, before anything is planned or stored. */
  function checkEntry(ctx: WriteContext, entry: RawEntry, i: number): void {
    const at = `Bundle.entry[${i}]`;
    if (entry === null || typeof entry !== 'object') throw writeErrors.badBody('entry is not an object', at);
    const request = (entry.request ?? {}) as Record<string, unknown>;
    const method = String(request.method ?? '').toUpperCase();
    const url = typeof request.url === 'string' ? request.url.replace(/^\//, '') : '';
    const action: Action | undefined = method === 'POST' ? 'create' : method === 'PUT' ? 'update' : method === 'DELETE' ? 'delete' : undefined;
    if (!action) throw writeErrors.unsupportedMethod(`request.method "${method.slice(0, 10) || '(missing)'}" is not supported (POST, PUT or DELETE)`, `${at}.request.method`);
    const resource = entry.resource as RawEntry | undefined;
    const type = action === 'delete' || resource === undefined || resource === null || typeof resource !== 'object' ? url.split(/[/?]/)[0] : String(resource.resourceType);
    assertMayWrite(ctx.principal, store, type, action);
    if (action === 'delete') return;
    const idInUrl = action === 'update' && !url.includes('?') ? url.split('/')[1] : undefined;
    checkResource(resource, { type, id: idInUrl, at: `${at}.resource`, inBundle: true });
  }
}

/** entry.request.ifMatch (https://hl7.org/fhir/R4/bundle-definitions.html#Bundle.entry.request.ifMatch) on PUT/DELETE Type/id. */
async function checkIfMatch(tx: StoreTx, planned: readonly PlannedEntry[], raw: readonly RawEntry[]): Promise<void> {
  for (const e of planned) {
    const i = e.loc.entry ?? 0;
    const ifMatch = (raw[i]?.request as Record<string, unknown> | undefined)?.ifMatch;
    if (typeof ifMatch !== 'string' || e.updateCriteria || e.method === 'POST') continue;
    const expected = parseETag(ifMatch);
    const cur = await tx.current(e.type, e.id);
    if (!cur || cur.version !== expected) {
      throw new FhirError('precondition_failed', 412, `Bundle: entry[${i}]: If-Match names version ${expected} but ${e.type}/${e.id} is ${cur ? `at version ${cur.version}` : 'not known'}`, 'conflict', {
        issues: [{ severity: 'error', code: 'conflict', diagnostics: `If-Match names version ${expected} but ${e.type}/${e.id} is ${cur ? `at version ${cur.version}` : 'not known'}`, expression: [`Bundle.entry[${i}].request.ifMatch`] }],
      });
    }
  }
}

/** An importer error, with the entry it names as the issue's expression. */
function located(err: unknown): unknown {
  if (!(err instanceof ImportError) || err.location.entry === undefined) return err;
  const issue: Issue = { severity: 'error', code: err.issueType, diagnostics: err.message, expression: [`Bundle.entry[${err.location.entry}]`] };
  return new FhirError(err.code, err.status, err.message, err.issueType, { cause: err, issues: [issue] });
}

function entryResponse(o: EntryOutcome | undefined, s: StoredResource | undefined): EntryResponse {
  if (!o) return { status: '200 OK' };
  const out: EntryResponse = { status: STATUS_TEXT[o.outcome] };
  if (s) {
    out.etag = `W/"${s.version}"`;
    out.lastModified = new Date(s.lastUpdated).toISOString();
    if (o.outcome !== 'deleted') {
      out.location = `${s.type}/${s.id}/_history/${s.version}`;
      out.resourceJson = s.json;
    }
  }
  return out;
}
