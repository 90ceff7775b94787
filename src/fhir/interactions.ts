import type { FhirStore } from './store/store.js';
import type { StoredResource } from './store/types.js';
import { errors } from './outcome.js';
import type { Scope } from './scope.js';
import { ID_RE } from './store/validate.js';

/**
 * FHIR read interactions, free of HTTP: they take a scope and return stored resources or
 * throw FhirError. Out of scope and absent are the same 404, so nothing reveals whether
 * another patient's resource exists (https://hl7.org/fhir/R4/http.html#read).
 */
export function interactions(store: FhirStore) {
  const knownType = (type: string) => {
    if (!store.registry.isResourceType(type)) throw errors.unknownType(type);
  };
  const checkId = (type: string, id: string) => {
    if (!ID_RE.test(id)) throw errors.notFound(type, id.slice(0, 64));
  };

  return {
    async read(scope: Scope, type: string, id: string): Promise<StoredResource> {
      knownType(type);
      checkId(type, id);
      const found = await store.read(scope, type, id);
      if (!found) throw errors.notFound(type, id);
      if (found.deleted) throw errors.gone(type, id);
      return found;
    },

    async vread(scope: Scope, type: string, id: string, vid: string): Promise<StoredResource> {
      knownType(type);
      checkId(type, id);
      const version = /^[1-9]\d{0,8}$/.test(vid) ? Number(vid) : NaN;
      const found = Number.isNaN(version) ? undefined : await store.vread(scope, type, id, version);
      if (!found) {
        // Whether the resource exists at all is itself scoped: only an in-scope resource gets the version message.
        if (await store.read(scope, type, id)) throw errors.versionNotFound(type, id, vid.slice(0, 16));
        throw errors.notFound(type, id);
      }
      if (found.deleted) throw errors.gone(type, id);
      return found;
    },

    async history(scope: Scope, type: string, id: string): Promise<StoredResource[]> {
      knownType(type);
      checkId(type, id);
      const versions = await store.history(scope, type, id);
      if (versions.length === 0) throw errors.notFound(type, id);
      return versions;
    },
  };
}

export type Interactions = ReturnType<typeof interactions>;
