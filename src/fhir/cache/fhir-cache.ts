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
  return {
    enabled: cache.enabled,
    async through<T>(key: string, compute: () => Promise<T>, bytes: (value: T) => number): Promise<T> {
      if (!cache.enabled) return compute();
      // Read before computing: a write committed meanwhile labels the result older, never newer.
      const version = await store.dataVersion();
      const hit = cache.get(key, version);
      if (hit !== undefined) return hit as T;
      const value = await compute();
      cache.set(key, version, value, bytes(value) + key.length * 2);
      return value;
    },
  };
}
