// Bundles the server into dist/ so that `chartkey` (bin/chartkey.js) and `npm start` run
// plain JavaScript: no TypeScript loader in the process, which saves over a second of
// start-up and about 30 MiB of resident memory. npm packages stay external; the code is
// split per CLI command (dist/main.js plus shared chunks), so `chartkey --help` or
// `chartkey app list` loads only what it uses, not Fastify and the whole server.
//
// Runs at install (`prepare`), from `npm run build`, and from the bin itself when the
// sources no longer match the bundle (scripts/source-stamp.mjs). Safe to run while other
// processes use dist/ or build it too: every file is written under a temporary name and
// renamed into place, dist/build.json last; files of the build before stay for processes
// that started from it, older ones are removed.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inputFiles, readBuildInfo, sourceStamp, statStamp } from './source-stamp.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds dist/ from src/ under `root`; returns the stamp written to dist/build.json. */
export async function buildDist(root = ROOT) {
  const dist = join(root, 'dist');
  // Both fingerprints before esbuild reads the sources: a file written during the build
  // then no longer matches them, and the next check rebuilds.
  const inputs = inputFiles(root);
  const fingerprint = statStamp(root, inputs);
  const stamp = sourceStamp(root, inputs);
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/main.ts'],
    outdir: 'dist',
    entryNames: '[name]',
    // Chunks sit beside main.js: src/web/plugin.tsx finds ./assets/ relative to its module.
    chunkNames: '[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    logLevel: 'warning',
    write: false,
  });
  mkdirSync(dist, { recursive: true });
  const tmp = `.tmp-${process.pid}-${Date.now()}`;
  const files = [];
  for (const out of result.outputFiles) {
    const name = relative(dist, out.path);
    files.push(name);
    if (name === 'main.js') continue; // last: it is what a new process loads first
    writeAtomic(out.path, out.contents, tmp);
  }
  const main = result.outputFiles.find((o) => relative(dist, o.path) === 'main.js');
  writeAtomic(main.path, main.contents, tmp);
  // Static files of the portal and admin, served relative to the module (src/web/plugin.tsx).
  cpSync(join(root, 'src/web/assets'), join(dist, 'assets'), { recursive: true, force: true });
  const previous = readBuildInfo(root);
  writeAtomic(join(dist, 'build.json'), JSON.stringify({ stamp, statStamp: fingerprint, files, previousFiles: previous?.files ?? [], builtAt: new Date().toISOString() }, null, 1), tmp);
  const keep = new Set([...files, ...(previous?.files ?? []), 'build.json', 'assets']);
  for (const name of readdirSync(dist)) {
    if (!keep.has(name) && !name.includes('.tmp-')) rmSync(join(dist, name), { recursive: true, force: true });
  }
  return stamp;
}

function writeAtomic(path, contents, tmp) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path + tmp, contents);
  renameSync(path + tmp, path);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!existsSync(join(ROOT, 'src/main.ts'))) throw new Error('scripts/build.mjs: no src/main.ts to build');
  await buildDist();
}
