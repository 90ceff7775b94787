import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ImportError } from './errors.js';

/** File kinds the importer reads: a Bundle or single resource (.json), or NDJSON (.ndjson). */
export type SourceKind = 'json' | 'ndjson';

export function sourceKind(path: string): SourceKind | undefined {
  const ext = extname(path).toLowerCase();
  return ext === '.json' ? 'json' : ext === '.ndjson' ? 'ndjson' : undefined;
}

/**
 * The files named by `paths`, in the order given; a folder stands for its .json and
 * .ndjson files, recursively, in name order (code-unit order, so the same on every
 * machine), sub-folders where their name sorts. Hidden entries (".…") are skipped.
 * A named file is always listed (an unsupported extension fails when it is imported);
 * a path that does not exist is listed too, so the failure is reported per file.
 */
export async function listFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) await walk(path, out);
    else out.push(path);
  }
  return out;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort(byCodeUnits);
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path);
    if (info.isDirectory()) await walk(path, out);
    else if (info.isFile() && sourceKind(name)) out.push(path);
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads and parses a .json file; errors name the file. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ImportError('unreadable_file', `cannot read: ${(err as Error).message}`, { source: path }, { cause: err });
  }
  return parseJson(text, { source: path });
}

export function parseJson(text: string, loc: { source: string; line?: number }): unknown {
  try {
    // A UTF-8 byte order mark is legal in files but not in JSON.parse input.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new ImportError('invalid_json', `not JSON: ${(err as Error).message}`, loc, { cause: err });
  }
}
