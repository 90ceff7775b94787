import type { FhirStore } from '../store/store.js';
import { ResponseCache } from './response-cache.js';

/**
 * Read and search results shared by every request with the same scope, exact at all
 * times (see ResponseCache). `through` returns the cached value for `key` or computes,
 * caches and returns it; a computation that throws caches nothing.
 */
export interface FhirCache {
  through<T>(key: string, compute: () => Promise<T>, bytes: (value: T) => number): Promise<T>;
  readonly enabled: boolean;
}

export function createFhirCache(store: Pick<FhirStore, 'dataVersion'>, maxBytes: number): FhirCache {
  const cache = new ResponseCache<unknown>(maxBytes);
  const freshVersion = coalesced(() => store.dataVersion());
  return {
    enabled: cache.enabled,
    async through<T>(key: string, compute: () => Promise<T>, bytes: (value: T) => number): Promise<T> {
      if (!cache.enabled) return compute();
      // Read before computing: a write committed meanwhile labels the result older, never newer.
      const version = await freshVersion();
      const hit = cache.get(key, version);
      if (hit !== undefined) return hit as T;
      const value = await compute();
      cache.set(key, version, value, bytes(value) + key.length * 2);
      return value;
    },
  };
}

/**
 * Calls that arrive together share one read of the version, without ever using a read
 * that began before they arrived (it could predate a write the caller has already seen
 * complete): a call made while a read is running waits for the next one, which every
 * call arriving meanwhile shares. With many concurrent requests on PostgreSQL this turns
 * one round trip per request into one per batch.
 */
export function coalesced(read: () => Promise<number>): () => Promise<number> {
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  const fresh = (): Promise<number> => {
    if (!running) {
      running = read().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      queued = undefined;
      return fresh();
    });
    return queued;
  };
  return fresh;
}
