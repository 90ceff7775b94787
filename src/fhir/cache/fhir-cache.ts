import type { Scope } from '../scope.js';
import type { FhirStore } from '../store/store.js';
import { ResponseCache } from './response-cache.js';
import { EVERY_PATIENT } from './write-footprint.js';

/**
 * Read and search results shared by every request with the same scope, exact at all
 * times (see ResponseCache). `through` returns the cached value for `key` or computes,
 * caches and returns it; a computation that throws caches nothing. `key` must identify
 * the scope (scopeKey) and the request; `scope` decides which versions label the result.
 */
export interface FhirCache {
  through<T>(scope: Scope, key: string, compute: () => Promise<T>, bytes: (value: T) => number): Promise<T>;
}

/**
 * Versions (migration 012, written by WriteFootprint): a patient scope's result is
 * labelled with the `*` row (writes every patient may see) and its patient's row (writes
 * to its compartment), so a write to patient X leaves patient Y's entries valid; a staff
 * (`all`) result with the data version every write moves.
 */
export function createFhirCache(store: Pick<FhirStore, 'cacheVersions'>, maxBytes: number, onLookup?: (hit: boolean) => void, onBytes?: (bytes: number) => void): FhirCache {
  const cache = new ResponseCache<unknown>(maxBytes);
  const fresh = coalescedKeys((keys) => store.cacheVersions([...keys]));
  return {
    async through<T>(scope: Scope, key: string, compute: () => Promise<T>, bytes: (value: T) => number): Promise<T> {
      if (!cache.enabled) return compute();
      // Read before computing: a write committed meanwhile labels the result older, never newer.
      const versions = await fresh(scope.kind === 'patient' ? scope.patientId : undefined);
      const stamp =
        scope.kind === 'patient' ? `${versions.get(EVERY_PATIENT) ?? 0}:${versions.get(scope.patientId) ?? 0}` : `all:${versions.get('') ?? 0}`;
      const hit = cache.get(key, stamp);
      onLookup?.(hit !== undefined);
      if (hit !== undefined) return hit as T;
      const value = await compute();
      cache.set(key, stamp, value, bytes(value) + key.length * 2);
      onBytes?.(cache.usedBytes);
      return value;
    },
  };
}

/**
 * `coalesced` for several keys: the keys asked for by every call that shares a read are
 * read together, in one statement. `EVERY_PATIENT` and the data version are always read.
 */
export function coalescedKeys(read: (keys: ReadonlySet<string>) => Promise<Map<string, number>>): (key?: string) => Promise<Map<string, number>> {
  let pending = new Set<string>([EVERY_PATIENT]);
  const shared = coalesced(() => {
    const keys = pending;
    pending = new Set<string>([EVERY_PATIENT]);
    return read(keys);
  });
  return (key) => {
    if (key !== undefined) pending.add(key);
    return shared();
  };
}

/**
 * Calls that arrive together share one read of the version, and no call ever uses a read
 * that began before it was made (that read could predate a write the caller has already
 * seen complete). A read starts on the next turn of the event loop (setImmediate: after
 * the sockets of this turn have been read) and once the previous read has finished;
 * every call made until it starts shares it. Under load this is one read per batch of
 * requests instead of one per request — a round trip saved on PostgreSQL, a statement on
 * SQLite.
 */
export function coalesced<T>(read: () => Promise<T>): () => Promise<T> {
  let next: Promise<T> | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const settle = () => undefined;
  return () => {
    next ??= running
      .then(settle, settle)
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        next = undefined; // calls from now on need a read that starts after them
        const started = read();
        running = started;
        return started;
      });
    return next;
  };
}
