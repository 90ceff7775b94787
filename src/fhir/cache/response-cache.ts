/**
 * Results of reads and searches, kept in memory and served again while the database's
 * FHIR data version (FhirStore.dataVersion) has not moved. The version is read before a
 * result is computed and stored with it, so an entry is never newer-labelled than its
 * data: any committed write — in this process, another process or another instance —
 * moves the version and makes every entry a miss. Nothing is ever served stale.
 *
 * Keys are built by the caller and must hold everything the result depends on: the
 * caller's scope (patient and granted types), the resource type and the request's
 * parameters. Authentication and authorisation happen before the cache is consulted.
 *
 * Bounded by bytes (least recently used out first); `maxBytes` 0 disables it.
 */
export class ResponseCache<T> {
  private readonly entries = new Map<string, { value: T; bytes: number }>();
  private bytes = 0;
  /** The data version the entries belong to; all of them share it. */
  private version = -1;

  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get(key: string, version: number): T | undefined {
    if (version !== this.version) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value`, computed under `version` (read before computing it). */
  set(key: string, version: number, value: T, bytes: number): void {
    if (!this.enabled || bytes > this.maxBytes / 4) return;
    if (version !== this.version) {
      // An older result must not replace the entries of a newer version.
      if (version < this.version) return;
      this.clear();
      this.version = version;
    }
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, { value, bytes });
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

  get size(): number {
    return this.entries.size;
  }
}
