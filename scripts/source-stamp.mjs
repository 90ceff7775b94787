// What dist/ was built from: a SHA-256 over the path and content of every file the bundle
// depends on (src/, tsconfig.json, the build script). scripts/build.mjs writes it into
// dist/build.json; bin/chartkey.js compares it with the checkout before running dist/, so a
// `git pull`, a branch switch or an edit is never answered by the old bundle. Content
// decides: a copy or a `touch` does not force a rebuild, an edit always does. Reading and
// hashing the ~250 files costs 10–30 ms, so build.json also keeps a fingerprint of their
// sizes, modification times and inodes, taken before the build: while that still matches,
// nothing was written since and the contents need not be read. Only node: built-ins, so the
// bin stays cheap.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const INPUTS = ['tsconfig.json', 'scripts/build.mjs', 'scripts/source-stamp.mjs'];

/** Every file the bundle depends on, relative to `root`, sorted. */
export function inputFiles(root) {
  const src = join(root, 'src');
  // Plain string work: path.join/relative per file cost more than the hashing.
  return readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => `src${(d.parentPath ?? d.path).slice(src.length)}/${d.name}`)
    .concat(INPUTS)
    .sort();
}

/** Size, modification time and inode of every input: equal means no input was written since. */
export function statStamp(root, files = inputFiles(root)) {
  const hash = createHash('sha256');
  for (const file of files) {
    let s;
    try {
      s = statSync(`${root}/${file}`, { bigint: true });
    } catch {
      s = undefined;
    }
    hash.update(s ? `${file}\0${s.size}\0${s.mtimeNs}\0${s.ino}\n` : `${file}\0missing\n`);
  }
  return hash.digest('hex');
}

/** Whether dist/build.json's build matches the sources: the stat fingerprint when it still holds, else the contents. */
export function isFresh(root, info) {
  if (!info?.stamp) return false;
  const files = inputFiles(root);
  if (info.statStamp && info.statStamp === statStamp(root, files)) return true;
  return info.stamp === sourceStamp(root, files);
}

export function sourceStamp(root, files = inputFiles(root)) {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    try {
      hash.update(readFileSync(`${root}/${file}`));
    } catch {
      hash.update('\0missing');
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** dist/build.json (stamp, files of this build and the one before), or undefined when there is no readable build. */
export function readBuildInfo(root) {
  try {
    return JSON.parse(readFileSync(join(root, 'dist/build.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
