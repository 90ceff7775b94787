import type { FhirStore } from '../store/store.js';
import { ResponseCache } from './response-cache.js';

/**
 * Read and search results shared by every request with the same scope, exact at all
 * times (see ResponseCache). `through` returns the cached value for `key` or computes,
 * caches and returns it; a computation that throws caches nothing.
 */
export interface FhirCache {
  through<T>(key: string, compute: () => Promise<T>, bytes: (value: T) => number): Promise<T>;
}

export function createFhirCache(store: Pick<FhirStore, 'dataVersion'>, maxBytes: number): FhirCache {
  const cache = new ResponseCache<unknown>(maxBytes);
  const freshVersion = coalesced(() => store.dataVersion());
  return {
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
 * Calls that arrive together share one read of the version, and no call ever uses a read
 * that began before it was made (that read could predate a write the caller has already
 * seen complete). A read starts on the next turn of the event loop (setImmediate: after
 * the sockets of this turn have been read) and once the previous read has finished;
 * every call made until it starts shares it. Under load this is one read per batch of
 * requests instead of one per request — a round trip saved on PostgreSQL, a statement on
 * SQLite.
 */
export function coalesced(read: () => Promise<number>): () => Promise<number> {
  let next: Promise<number> | undefined;
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
