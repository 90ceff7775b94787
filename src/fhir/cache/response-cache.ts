/**
 * Results of reads and searches, kept in memory and served again while the versions they
 * were computed under have not moved. The caller reads the versions before computing a
 * result and stores it with them (a `stamp`), so an entry is never newer-labelled than
 * its data: any committed write that can change it — in this process, another process
 * or another instance — moves a version in the database and makes it a miss. Nothing is
 * ever served stale. Each entry carries its own stamp (a patient's results depend on that
 * patient's version, not on other patients'), so a write drops only what it touched.
 *
 * Keys are built by the caller and must hold everything the result depends on: the
 * caller's scope (patient and granted types), the resource type and the request's
 * parameters. Authentication and authorisation happen before the cache is consulted.
 *
 * Bounded by bytes (least recently used out first); `maxBytes` 0 disables it.
 */
export class ResponseCache<T> {
  private readonly entries = new Map<string, { value: T; stamp: string; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The entry for `key` if it was computed under exactly `stamp` (the versions read now). */
  get(key: string, stamp: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.stamp !== stamp) {
      this.bytes -= entry.bytes; // out of date for good: versions only move forward
      return undefined;
    }
    // Most recently used last.
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores `value`, computed under `stamp` (read before computing it). A result computed
   * under older versions than the entry it replaces only costs a miss later: `get` asks
   * for the current stamp.
   */
  set(key: string, stamp: string, value: T, bytes: number): void {
    if (!this.enabled || bytes > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, { value, stamp, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  /** Bytes held, as counted by the callers of `set`. */
  get usedBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }
}
