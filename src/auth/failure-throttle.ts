import type { Redis } from 'ioredis';

/**
 * Throttles failed API authentication per client key and per client address (SPEC:
 * "Failed authentication is throttled per key and per address"). Fixed one-minute windows:
 * after `limit` failures in a window, attempts get 429 with Retry-After until it ends.
 * With Redis the counters are shared by every instance; otherwise they live in memory.
 */
export interface FailureThrottle {
  /** Seconds to wait before trying again (0 = allowed) for any of the buckets. */
  retryAfter(buckets: string[]): Promise<number>;
  recordFailure(buckets: string[]): Promise<void>;
}

export interface ThrottleLimits {
  /** Failures allowed per bucket kind within the window: `key:` and `ip:` prefixes. */
  perKey: number;
  perIp: number;
  windowSeconds: number;
}

export const DEFAULT_LIMITS: ThrottleLimits = { perKey: 10, perIp: 50, windowSeconds: 60 };

/** Windows kept in memory before unthrottled and expired ones are dropped. */
const MAX_WINDOWS = 100_000;

const limitOf = (bucket: string, l: ThrottleLimits) => (bucket.startsWith('key:') ? l.perKey : l.perIp);

export function memoryFailureThrottle(limits = DEFAULT_LIMITS, now: () => number = Date.now): FailureThrottle {
  const windows = new Map<string, { start: number; count: number }>();
  const windowMs = limits.windowSeconds * 1000;
  const current = (bucket: string) => {
    const w = windows.get(bucket);
    if (!w || now() - w.start >= windowMs) return undefined;
    return w;
  };
  // Bounded memory under a flood of random keys, without forgetting who is being throttled:
  // clearing everything would let a flood of junk keys reset a guessing attack's counters.
  const prune = () => {
    for (const [b, w] of windows) if (now() - w.start >= windowMs || w.count < limitOf(b, limits)) windows.delete(b);
    if (windows.size > MAX_WINDOWS) windows.clear(); // only throttled buckets left, and too many: last resort
  };
  return {
    async retryAfter(buckets) {
      let wait = 0;
      for (const b of buckets) {
        const w = current(b);
        if (w && w.count >= limitOf(b, limits)) wait = Math.max(wait, Math.ceil((w.start + windowMs - now()) / 1000));
      }
      return wait;
    },
    async recordFailure(buckets) {
      if (windows.size > MAX_WINDOWS) prune();
      for (const b of buckets) {
        const w = current(b);
        if (w) w.count++;
        else windows.set(b, { start: now(), count: 1 });
      }
    },
  };
}

export function redisFailureThrottle(redis: Redis, limits = DEFAULT_LIMITS): FailureThrottle {
  const k = (b: string) => `chartkey:authfail:${b}`;
  return {
    async retryAfter(buckets) {
      const pipeline = redis.pipeline();
      for (const b of buckets) pipeline.get(k(b)).ttl(k(b));
      const results = failed(await pipeline.exec());
      let wait = 0;
      buckets.forEach((b, i) => {
        const count = Number(results[i * 2]?.[1] ?? 0);
        const ttl = Number(results[i * 2 + 1]?.[1] ?? 0);
        if (count >= limitOf(b, limits)) wait = Math.max(wait, Math.max(ttl, 1));
      });
      return wait;
    },
    async recordFailure(buckets) {
      const pipeline = redis.pipeline();
      for (const b of buckets) pipeline.incr(k(b)).expire(k(b), limits.windowSeconds, 'NX');
      failed(await pipeline.exec());
    },
  };
}

/** A pipeline reports each command's error in its results instead of rejecting: surface the first. */
function failed(results: Array<[Error | null, unknown]> | null): Array<[Error | null, unknown]> {
  if (!results) throw new Error('Redis pipeline was not executed');
  const err = results.find(([e]) => e)?.[0];
  if (err) throw err;
  return results;
}

/**
 * Redis counters with this instance's memory as the fallback (SPEC Operations: "When Redis
 * goes away, throttling falls back to each instance's memory and requests keep
 * succeeding"). Failures are always counted in memory too, so an attacker gains nothing
 * from an outage beyond the other instances' counts. `onFallback` is told once per outage.
 */
export function fallbackFailureThrottle(
  primary: FailureThrottle,
  memory: FailureThrottle,
  events: { onFallback?: (err: unknown) => void; onRecover?: () => void } = {},
): FailureThrottle {
  let down = false;
  const fallback = (err: unknown) => {
    if (!down) events.onFallback?.(err);
    down = true;
  };
  const recovered = () => {
    if (down) events.onRecover?.();
    down = false;
  };
  return {
    async retryAfter(buckets) {
      const local = await memory.retryAfter(buckets);
      try {
        const shared = await primary.retryAfter(buckets);
        recovered();
        return Math.max(shared, local);
      } catch (err) {
        fallback(err);
        return local;
      }
    },
    async recordFailure(buckets) {
      await memory.recordFailure(buckets);
      try {
        await primary.recordFailure(buckets);
        recovered();
      } catch (err) {
        fallback(err);
      }
    },
  };
}
