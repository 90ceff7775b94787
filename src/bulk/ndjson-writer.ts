import type { ExportFile } from './types.js';

/** Where a writer puts a finished chunk of a file (the job store's writeChunk). */
export type ChunkSink = (file: string, n: number, data: string) => Promise<void>;

interface OpenFile {
  name: string;
  kind: ExportFile['kind'];
  type: string;
  count: number;
  chunks: number;
  parts: string[];
  bytes: number;
}

/**
 * NDJSON output (https://hl7.org/fhir/uv/bulkdata/export.html#file-format): one file per
 * resource type, one resource per line, written in chunks of about `chunkChars` as they
 * fill, so at most one partial chunk per type is held in memory.
 */
export class NdjsonWriter {
  private readonly files = new Map<string, OpenFile>();

  constructor(
    private readonly sink: ChunkSink,
    private readonly chunkChars = 512 * 1024,
  ) {}

  /** Appends one resource's JSON text (single-line, as the store keeps it). */
  async add(type: string, json: string, kind: ExportFile['kind'] = 'output'): Promise<void> {
    const key = `${kind}:${type}`;
    let f = this.files.get(key);
    if (!f) {
      f = { name: `${kind === 'error' ? 'error-' : ''}${type}.ndjson`, kind, type, count: 0, chunks: 0, parts: [], bytes: 0 };
      this.files.set(key, f);
    }
    f.parts.push(json, '\n');
    f.bytes += json.length + 1;
    f.count++;
    if (f.bytes >= this.chunkChars) await this.flush(f);
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
    const data = f.parts.join('');
    f.parts = [];
    f.bytes = 0;
    await this.sink(f.name, f.chunks, data);
    f.chunks++;
  }
}
