import type { Resource } from '../fhir/store/types.js';
import { parseConditionalReference, parseIfNoneExist, type SearchCriteria } from './conditional.js';
import { ImportError, type ImportLocation } from './errors.js';
import { deterministicId, isValidId, TYPE_NAME } from './fhir-id.js';

/**
 * Bundle planning: everything about a Bundle that can be decided without the database —
 * shape validation, the method of each entry and the id each resource will be stored
 * under. Pure; the store is touched only by execute-plan.ts.
 *
 * Ids are kept (deliberately, for idempotent re-import, although a FHIR server may assign
 * new ids on POST, https://hl7.org/fhir/R4/http.html#create): resource.id, else the uuid
 * of a `urn:uuid:` fullUrl (or the oid of `urn:oid:`), else the id of an absolute
 * `…/Type/id` fullUrl, else a uuid derived from the content (see fhir-id.ts).
 */
export type ImportableBundleType = 'transaction' | 'batch' | 'collection';
const BUNDLE_TYPES: readonly string[] = ['transaction', 'batch', 'collection'];

export interface PlannedEntry {
  /** Where the entry is, for error messages. */
  loc: ImportLocation;
  fullUrl?: string;
  /** NONE: collection entry, single resource or NDJSON line (stored like POST with its id). */
  method: 'POST' | 'PUT' | 'DELETE' | 'NONE';
  type: string;
  /** The id to store under (for conditional create/update: when nothing matches). */
  id: string;
  /** True when `id` was derived from the content (no id anywhere in the entry). */
  generatedId: boolean;
  /** Absent for DELETE. */
  resource?: Resource;
  /** POST with request.ifNoneExist (conditional create). */
  ifNoneExist?: SearchCriteria;
  /** PUT Type?params (conditional update, https://hl7.org/fhir/R4/http.html#cond-update). */
  updateCriteria?: SearchCriteria;
}

export interface BundlePlan {
  bundleType: ImportableBundleType;
  entries: PlannedEntry[];
}

export interface PlanContext {
  source: string;
  isKnownType(type: string): boolean;
}

/** Whether parsed JSON is a Bundle (as opposed to a single resource). */
export function isBundle(json: unknown): boolean {
  return isObject(json) && json.resourceType === 'Bundle';
}

export function planBundle(bundle: unknown, ctx: PlanContext): BundlePlan {
  const where: ImportLocation = { source: ctx.source };
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') {
    throw new ImportError('not_a_resource', 'not a FHIR Bundle', where);
  }
  const bundleType = bundle.type;
  if (typeof bundleType !== 'string' || !BUNDLE_TYPES.includes(bundleType)) {
    throw new ImportError(
      'unsupported_bundle',
      `Bundle.type "${String(bundleType)}" cannot be imported (expected transaction, batch or collection)`,
      where,
    );
  }
  const raw = bundle.entry ?? [];
  if (!Array.isArray(raw)) throw new ImportError('not_a_resource', 'Bundle.entry is not an array', where);
  const entries: PlannedEntry[] = [];
  const fullUrls = new Map<string, number>();
  raw.forEach((entry: unknown, index) => {
    const planned = planEntry(entry, index, bundleType as ImportableBundleType, ctx);
    if (planned.fullUrl) {
      const prior = fullUrls.get(planned.fullUrl);
      // https://hl7.org/fhir/R4/bundle.html#bundle-unique: fullUrl is unique in a Bundle
      if (prior !== undefined) {
        throw new ImportError('duplicate_entry', `fullUrl is also used by entry[${prior}]`, planned.loc);
      }
      fullUrls.set(planned.fullUrl, index);
    }
    entries.push(planned);
  });
  return { bundleType: bundleType as ImportableBundleType, entries };
}

function planEntry(entry: unknown, index: number, bundleType: ImportableBundleType, ctx: PlanContext): PlannedEntry {
  const loc: ImportLocation = { source: ctx.source, entry: index };
  if (!isObject(entry)) throw new ImportError('not_a_resource', 'entry is not an object', loc);
  if (entry.fullUrl !== undefined) {
    if (typeof entry.fullUrl !== 'string') throw new ImportError('not_a_resource', 'fullUrl is not a string', loc);
    loc.fullUrl = entry.fullUrl;
  }
  const request = entry.request;
  if (bundleType !== 'collection' && !isObject(request)) {
    throw new ImportError('unsupported_method', `a ${bundleType} entry needs request.method and request.url`, loc);
  }
  const method = isObject(request) && bundleType !== 'collection' ? String(request.method ?? '').toUpperCase() : 'NONE';
  const url = isObject(request) && typeof request.url === 'string' ? request.url.replace(/^\//, '') : '';
  if (method === 'DELETE') return planDelete(url, loc, ctx);
  if (method !== 'POST' && method !== 'PUT' && method !== 'NONE') {
    // GET/HEAD/PATCH in an import make no sense or need a patch engine we do not have.
    throw new ImportError('unsupported_method', `request.method "${method || '(missing)'}" is not supported (POST, PUT or DELETE)`, loc);
  }
  if (entry.resource === undefined) throw new ImportError('missing_resource', 'entry has no resource', loc);
  const resource = checkResource(entry.resource, loc, ctx);
  loc.type = resource.resourceType;
  const type = resource.resourceType;
  const base = { loc, fullUrl: loc.fullUrl, type, resource };

  if (method === 'PUT') {
    const conditional = parseConditionalReference(url);
    const [urlType, urlId, ...more] = url.split('/');
    if (conditional) {
      if (conditional.type !== type) throw mismatch(url, type, loc);
      const { id, generatedId } = chooseId(resource, loc);
      return { ...base, method, id, generatedId, updateCriteria: conditional };
    }
    if (!urlType || urlId === undefined || more.length) {
      throw new ImportError('unsupported_method', `PUT request.url "${url}" is not Type/id or Type?criteria`, loc);
    }
    if (urlType !== type) throw mismatch(url, type, loc);
    if (!isValidId(urlId)) throw new ImportError('invalid_id', `request.url id "${urlId}" is not a valid FHIR id`, loc);
    // https://hl7.org/fhir/R4/http.html#update: the resource id must equal the url id.
    if (resource.id !== undefined && resource.id !== urlId) {
      throw new ImportError('id_mismatch', `resource.id "${resource.id}" differs from the request.url id "${urlId}"`, loc);
    }
    return { ...base, method, id: urlId, generatedId: false };
  }

  if (method === 'POST' && url && url.split('?')[0] !== type) throw mismatch(url, type, loc);
  const { id, generatedId } = chooseId(resource, loc);
  const ifNoneExist = isObject(request) && typeof request.ifNoneExist === 'string' && method === 'POST'
    ? parseIfNoneExist(type, request.ifNoneExist)
    : undefined;
  return { ...base, method: method as 'POST' | 'NONE', id, generatedId, ifNoneExist };
}

function planDelete(url: string, loc: ImportLocation, ctx: PlanContext): PlannedEntry {
  const [type, id, ...more] = url.split('/');
  if (url.includes('?')) throw new ImportError('unsupported_method', `conditional DELETE "${url}" is not supported`, loc);
  if (!type || id === undefined || more.length) {
    throw new ImportError('unsupported_method', `DELETE request.url "${url}" is not Type/id`, loc);
  }
  checkType(type, loc, ctx);
  if (!isValidId(id)) throw new ImportError('invalid_id', `request.url id "${id}" is not a valid FHIR id`, loc);
  return { loc: { ...loc, type }, fullUrl: loc.fullUrl, method: 'DELETE', type, id, generatedId: false };
}

/** Validates a resource's shape as far as the importer needs (the store validates the rest). */
export function checkResource(value: unknown, loc: ImportLocation, ctx: PlanContext): Resource {
  if (!isObject(value) || typeof value.resourceType !== 'string') {
    throw new ImportError('not_a_resource', 'not a FHIR resource (no resourceType)', loc);
  }
  checkType(value.resourceType, loc, ctx);
  if (value.id !== undefined && !isValidId(value.id)) {
    throw new ImportError('invalid_id', `id ${JSON.stringify(value.id)} is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`, {
      ...loc,
      type: value.resourceType,
    });
  }
  return value as Resource;
}

function checkType(type: string, loc: ImportLocation, ctx: PlanContext): void {
  if (!TYPE_NAME.test(type) || !ctx.isKnownType(type)) {
    throw new ImportError('unknown_type', `Unknown resource type "${type}"`, loc);
  }
}

/** The id of a POST / collection / NDJSON resource (see the file comment for the order). */
export function chooseId(resource: Resource, loc: ImportLocation): { id: string; generatedId: boolean } {
  if (resource.id !== undefined) return { id: resource.id, generatedId: false };
  const fromUrl = idFromFullUrl(loc.fullUrl, resource.resourceType);
  if (fromUrl !== undefined) {
    if (!isValidId(fromUrl)) throw new ImportError('invalid_id', `fullUrl id "${fromUrl}" is not a valid FHIR id`, loc);
    return { id: fromUrl, generatedId: false };
  }
  return { id: deterministicId(resource.resourceType, resource), generatedId: true };
}

function idFromFullUrl(fullUrl: string | undefined, type: string): string | undefined {
  if (!fullUrl) return undefined;
  const urn = /^urn:(?:uuid|oid):(.+)$/.exec(fullUrl);
  if (urn) return urn[1];
  const abs = new RegExp(`/${type}/([^/?#]+)$`).exec(fullUrl);
  return abs ? abs[1] : undefined;
}

function mismatch(url: string, type: string, loc: ImportLocation): ImportError {
  return new ImportError('id_mismatch', `request.url "${url}" does not match resourceType "${type}"`, loc);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
