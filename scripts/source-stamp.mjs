// What dist/ was built from: a SHA-256 over the path and content of every file the bundle
// depends on (src/, tsconfig.json, the build script). scripts/build.mjs writes it into
// dist/build.json; bin/chartkey.js compares it with the checkout before running dist/, so a
// `git pull`, a branch switch or an edit is never answered by the old bundle. Content, not
// modification times: a copy or a `touch` does not force a rebuild, an edit always does.
// About 10–30 ms for the ~250 source files; only node: built-ins, so the bin stays cheap.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const INPUTS = ['tsconfig.json', 'scripts/build.mjs', 'scripts/source-stamp.mjs'];

export function sourceStamp(root) {
  const src = join(root, 'src');
  // Plain string work: path.join/relative per file cost more than the hashing.
  const files = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => `src${(d.parentPath ?? d.path).slice(src.length)}/${d.name}`)
    .concat(INPUTS)
    .sort();
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
