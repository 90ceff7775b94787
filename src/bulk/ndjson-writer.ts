import type { ExportFile } from './types.js';

/** Where a writer puts a finished chunk of a file (the job store's writeChunk). */
export type ChunkSink = (file: string, n: number, data: Buffer) => Promise<void>;

interface OpenFile {
  name: string;
  kind: ExportFile['kind'];
  type: string;
  count: number;
  chunks: number;
  parts: Buffer[];
  bytes: number;
}

const NEWLINE = Buffer.from('\n');

/**
 * NDJSON output (https://hl7.org/fhir/uv/bulkdata/export.html#file-format): one file per
 * resource type, one resource per line, written in chunks of about `chunkBytes` as they
 * fill, so at most one partial chunk per type is held in memory. Bytes, not strings: the
 * rows arrive as UTF-8 (SQLite hands them over as BLOBs) and leave as UTF-8, and joining
 * large JS strings cost more than the whole database read.
 */
export class NdjsonWriter {
  private readonly files = new Map<string, OpenFile>();

  constructor(
    private readonly sink: ChunkSink,
    private readonly chunkBytes = 256 * 1024,
  ) {}

  /**
   * Appends one resource's JSON (single-line, as the store keeps it). Returns a promise only
   * when a chunk was written (callers await it then), so the common case costs no await.
   */
  add(type: string, json: string | Buffer, kind: ExportFile['kind'] = 'output'): Promise<void> | undefined {
    const key = `${kind}:${type}`;
    let f = this.files.get(key);
    if (!f) {
      f = { name: `${kind === 'error' ? 'error-' : ''}${type}.ndjson`, kind, type, count: 0, chunks: 0, parts: [], bytes: 0 };
      this.files.set(key, f);
    }
    const bytes = typeof json === 'string' ? Buffer.from(json) : json;
    f.parts.push(bytes, NEWLINE);
    f.bytes += bytes.length + 1;
    f.count++;
    return f.bytes >= this.chunkBytes ? this.flush(f) : undefined;
  }

  /** Writes what is left and returns the files for the manifest. */
  async finish(): Promise<ExportFile[]> {
    const out: ExportFile[] = [];
    for (const f of this.files.values()) {
      await this.flush(f);
      out.push({ name: f.name, kind: f.kind, type: f.type, count: f.count, chunks: f.chunks });
    }
    return out;
  }

  private async flush(f: OpenFile): Promise<void> {
    if (f.parts.length === 0) return;
    const data = Buffer.concat(f.parts, f.bytes);
    f.parts = [];
    f.bytes = 0;
    await this.sink(f.name, f.chunks, data);
    f.chunks++;
  }
}
