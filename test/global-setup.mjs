// Before any test: dist/ matches the sources, so every test that runs `chartkey` (the bin)
// runs the compiled bundle that ships, and no two test files rebuild it at once.
// Plain JavaScript so that it can import the build scripts as they are.
import { join } from 'node:path';
import { buildDist } from '../scripts/build.mjs';
import { isFresh, readBuildInfo } from '../scripts/source-stamp.mjs';

export default async function setup() {
  const root = join(import.meta.dirname, '..');
  if (!isFresh(root, readBuildInfo(root))) await buildDist(root);
}
