import { randomUUID } from 'node:crypto';
import type { AuditInput, AuditLog } from '../../audit/audit-log.js';
import { type Action, permits } from '../../auth/permissions.js';
import type { Principal } from '../../auth/principal.js';
import { DbError } from '../../db/db.js';
import { parseIfNoneExist, parseQuery } from '../../importer/conditional.js';
import { errors } from '../outcome.js';
import type { FhirStore } from '../store/store.js';
import type { Resource, StoreTx, StoredResource } from '../store/types.js';
import { ID_RE } from '../store/validate.js';
import { checkResource } from './check-resource.js';
import { writeErrors } from './write-errors.js';

/** A principal that may write: staff, or a system client (patients never write). */
export type Writer = Exclude<Principal, { kind: 'patient' }>;

export interface WriteResult {
  /** 201 created, 200 updated (or unchanged, or found by If-None-Exist). */
  status: 200 | 201;
  /** The version now current. */
  stored: StoredResource;
}

export interface DeleteResult {
  /** The deletion's version; undefined when the resource was deleted already (nothing written). */
  version?: number;
}

/** Who wrote, for the audit trail (never the body). */
export interface WriteContext {
  principal: Principal;
  ip?: string;
}

export interface WriteDeps {
  store: FhirStore;
  audit: Pick<AuditLog, 'recordMany'>;
}

/**
 * FHIR create, update, conditional update and delete (https://hl7.org/fhir/R4/http.html),
 * free of HTTP: each takes the caller and the parsed body, checks permission and the
 * resource, writes in one store transaction (versioned like imports: resource_history,
 * vread, _history) and records the write in the audit trail.
 */
export function createWriteService({ store, audit }: WriteDeps) {
  const audited = async (ctx: WriteContext, writes: AuditedWrite[]) => {
    if (writes.length > 0) await audit.recordMany(writes.map((w) => auditEvent(ctx, w)));
  };

  return {
    async create(ctx: WriteContext, type: string, body: unknown, options: { ifNoneExist?: string } = {}): Promise<WriteResult> {
      assertMayWrite(ctx.principal, store, type, 'create');
      const resource = checkResource(body, { type });
      const criteria = options.ifNoneExist === undefined ? undefined : conditionalParams(type, parseIfNoneExist(type, options.ifNoneExist).params, 'If-None-Exist');
      const result = await inTransaction(store, async (tx) => {
        if (criteria) {
          // https://hl7.org/fhir/R4/http.html#ccreate: one match → 200 and nothing written; several → 412.
          const ids = await tx.searchIds(type, criteria);
          if (ids.length > 1) throw writeErrors.preconditionFailed(`If-None-Exist criteria match ${ids.length} ${type} resources`);
          if (ids.length === 1) return { status: 200 as const, stored: (await tx.current(type, ids[0]))!, written: false };
        }
        const id = randomUUID();
        await tx.put(withId(resource, id));
        return { status: 201 as const, stored: (await tx.current(type, id))!, written: true };
      });
      if (result.written) await audited(ctx, [{ action: 'fhir.create', stored: result.stored, resource }]);
      return result;
    },

    async update(ctx: WriteContext, type: string, id: string, body: unknown, options: { ifMatch?: string } = {}): Promise<WriteResult> {
      assertMayWrite(ctx.principal, store, type, 'update');
      if (!ID_RE.test(id)) throw writeErrors.badBody('The id in the URL is not a valid FHIR id ([A-Za-z0-9-.]{1,64})');
      const resource = checkResource(body, { type, id });
      const expected = options.ifMatch === undefined ? undefined : parseETag(options.ifMatch);
      const result = await inTransaction(store, (tx) => updateIn(tx, ctx.principal, resource, id, expected));
      if (result.changed) await audited(ctx, [{ action: result.status === 201 ? 'fhir.create' : 'fhir.update', stored: result.stored, resource }]);
      return result;
    },

    /** https://hl7.org/fhir/R4/http.html#cond-update: PUT [type]?search. */
    async conditionalUpdate(ctx: WriteContext, type: string, query: string, body: unknown, options: { ifMatch?: string } = {}): Promise<WriteResult> {
      assertMayWrite(ctx.principal, store, type, 'update');
      const criteria = conditionalParams(type, parseQuery(query), 'Conditional update');
      const checked = checkResource(body, { type });
      const expected = options.ifMatch === undefined ? undefined : parseETag(options.ifMatch);
      const result = await inTransaction(store, async (tx) => {
        const ids = await tx.searchIds(type, criteria);
        if (ids.length > 1) throw writeErrors.preconditionFailed(`The search criteria match ${ids.length} ${type} resources`);
        // One match: that resource is updated (the body's id, if any, must be its id). None: created.
        const id = ids[0] ?? checked.id ?? randomUUID();
        if (checked.id !== undefined && checked.id !== id) {
          throw writeErrors.badBody(`The resource id "${checked.id}" is not the id "${id}" of the resource the criteria match`, `${type}.id`);
        }
        const resource = withId(checked, id);
        const r = await updateIn(tx, ctx.principal, resource, id, expected);
        return { ...r, resource };
      });
      if (result.changed) await audited(ctx, [{ action: result.status === 201 ? 'fhir.create' : 'fhir.update', stored: result.stored, resource: result.resource }]);
      return { status: result.status, stored: result.stored };
    },

    /** https://hl7.org/fhir/R4/http.html#delete: a new, empty version; read then answers 410. */
    async delete(ctx: WriteContext, type: string, id: string): Promise<DeleteResult> {
      assertMayWrite(ctx.principal, store, type, 'delete');
      if (!ID_RE.test(id)) throw errors.notFound(type, id.slice(0, 64));
      const result = await inTransaction(store, async (tx) => {
        const cur = await tx.current(type, id);
        if (!cur) throw errors.notFound(type, id);
        if (cur.deleted) return undefined; // deleting again changes nothing (200/204 either way)
        await tx.delete(type, id);
        return { stored: (await tx.current(type, id))!, before: JSON.parse(cur.json) as Resource };
      });
      if (result) await audited(ctx, [{ action: 'fhir.delete', stored: result.stored, resource: result.before }]);
      return { version: result?.stored.version };
    },
  };
}

export type WriteService = ReturnType<typeof createWriteService>;

/** Update or create-on-update of `resource` under `id`, inside the caller's transaction. */
async function updateIn(tx: StoreTx, principal: Principal, resource: Resource, id: string, expectedVersion?: number) {
  const cur = await tx.current(resource.resourceType, id);
  if (expectedVersion !== undefined && (!cur || cur.version !== expectedVersion)) {
    // https://hl7.org/fhir/R4/http.html#concurrency
    throw writeErrors.preconditionFailed(
      cur ? `If-Match names version ${expectedVersion} but ${resource.resourceType}/${id} is at version ${cur.version}` : `${resource.resourceType}/${id} does not exist (If-Match)`,
    );
  }
  if ((!cur || cur.deleted) && !permits(principal, resource.resourceType, 'create')) {
    throw writeErrors.forbidden(`The granted scopes do not allow create of ${resource.resourceType}`);
  }
  const put = await tx.put(withId(resource, id));
  return { status: put.created ? (201 as const) : (200 as const), stored: (await tx.current(resource.resourceType, id))!, changed: put.changed };
}

/** Patients never write (SPEC: Practice systems); others within their scopes. */
export function assertMayWrite(principal: Principal, store: Pick<FhirStore, 'registry'>, type: string, action: Action): asserts principal is Writer {
  if (principal.kind === 'patient') throw writeErrors.forbidden('Patient credentials and patient tokens cannot write');
  if (!store.registry.isResourceType(type)) throw errors.unknownType(type.slice(0, 64));
  if (!permits(principal, type, action)) throw writeErrors.forbidden(`The granted scopes do not allow ${action} of ${type}`);
}

/** Search parameters for a conditional interaction: at least one, never paging or result controls. */
function conditionalParams(type: string, all: Array<[string, string]>, what: string): Array<[string, string]> {
  // _format and _pretty shape the response, they are no criteria (https://hl7.org/fhir/R4/http.html#parameters).
  const params = all.filter(([name]) => name !== '_format' && name !== '_pretty');
  if (params.length === 0) throw errors.badParameter(`${what} needs search parameters for ${type}`);
  return params;
}

/** `W/"3"` or `"3"` → 3 (https://hl7.org/fhir/R4/http.html#concurrency). */
export function parseETag(value: string): number {
  const m = /^\s*(?:W\/)?"([1-9]\d{0,8})"\s*$/.exec(value);
  if (!m) throw errors.badParameter('If-Match must be a version ETag such as W/"3"');
  return Number(m[1]);
}

/** The resource under `id`, resourceType and id first, without the server's meta (the store sets it). */
export function withId(resource: Resource, id: string): Resource {
  const { resourceType, id: _id, ...rest } = resource;
  return { resourceType, id, ...rest };
}

/**
 * Runs a write transaction. Two writers racing for the same new resource (PostgreSQL: a
 * unique violation) or a serialization failure is a 409 the client may retry.
 */
export async function inTransaction<T>(store: FhirStore, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
  try {
    return await store.transaction(fn);
  } catch (err) {
    if (err instanceof DbError && (err.code === 'unique_violation' || err.code === 'serialization_failure')) {
      throw errors.conflict('A concurrent write changed the same resource; retry');
    }
    throw err;
  }
}

export interface AuditedWrite {
  action: 'fhir.create' | 'fhir.update' | 'fhir.delete';
  stored: StoredResource;
  resource?: Resource;
  /** The interaction it was part of (transaction, batch), when not a single one. */
  via?: string;
}

/** One audit row per written version: who (staff username or system client id), type, id, version — never the body. */
export function auditEvent(ctx: WriteContext, w: AuditedWrite): AuditInput {
  const p = ctx.principal;
  const actor = p.kind === 'staff' ? p.username : p.kind === 'system' ? p.clientId : p.credentialId;
  return {
    actorKind: p.kind === 'staff' ? 'staff' : 'system',
    actorId: actor,
    action: w.action,
    patientId: patientOf(w.stored.type, w.stored.id, w.resource),
    ip: ctx.ip ?? null,
    detail: { type: w.stored.type, id: w.stored.id, version: w.stored.version, ...(w.via ? { via: w.via } : {}), ...(p.kind === 'system' ? { client: p.clientName } : {}) },
  };
}

/** The patient a written resource is about, when it says so plainly (for the audit trail's patient filter). */
function patientOf(type: string, id: string, resource?: Resource): string | null {
  if (type === 'Patient') return id;
  for (const key of ['subject', 'patient']) {
    const ref = (resource?.[key] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref === 'string' && ref.startsWith('Patient/') && ID_RE.test(ref.slice(8))) return ref.slice(8);
  }
  return null;
}
