#!/bin/sh
":" //; case "$1" in serve) export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"; case " $NODE_OPTIONS" in *" --max-old-space-size"*) h=;; *) h=--max-old-space-size=1024;; esac; exec node --max-semi-space-size=4 $h --enable-source-maps "$0" "$@";; *) exec node "$0" "$@";; esac
// ^ Run as a command (`chartkey`, `npx chartkey`, `bin/chartkey.js`, `npm start`), this file
// is first read by /bin/sh, which runs only the line above: `serve` gets the server's
// memory settings (glibc's MALLOC_ARENA_MAX must be in the environment before the process
// starts; a 4 MiB V8 young generation; a 1 GiB old generation unless NODE_OPTIONS sets one:
// below 2 GiB V8 lets the old space grow to at most ~1.6× what survived the last full GC
// instead of 4×, which bounds its sawtooth — docs/reliability.md) and every command then replaces the shell with
// node, in the same process — a supervisor's or a test's `kill -9` reaches the server
// itself. To node the line above is a string and a comment. Run as `node bin/chartkey.js
// serve`, the settings are applied below by starting the server again with them.
//
// The command runs the compiled bundle in dist/ (scripts/build.mjs, built at install by
// `prepare`), not the TypeScript sources: no loader at run time. In a checkout the bundle
// must match the sources (scripts/source-stamp.mjs); when it does not (a `git pull`, a
// branch switch, an edit) it is rebuilt first, in about a second. Only when that is
// impossible (esbuild missing, dist/ not writable) do the sources run through tsx, with a
// warning; without tsx either, the command refuses rather than run old code.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What `serve` needs before the process starts: the shell line's settings (`npm start` is `bin/chartkey.js serve`). */
const SERVE_NODE_FLAGS = ['--max-semi-space-size=4', '--enable-source-maps'];
/** Unless the operator sets it (NODE_OPTIONS or node's own flags): see the shell line. */
const OLD_SPACE_FLAG = '--max-old-space-size=1024';
const SERVE_ENV = { MALLOC_ARENA_MAX: '2' };
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

watchParent();
if (args[0] === 'serve' && !hasServeSettings()) relaunchWithServeSettings();
else await import(await entry());

/** The module to run: dist/main.js, fresh; or the sources through tsx when no fresh build can be had. */
async function entry() {
  const dist = pathToFileURL(join(ROOT, 'dist/main.js')).href;
  // A deployment of dist/ without the sources: nothing to compare with.
  if (!existsSync(join(ROOT, 'src/main.ts'))) return dist;
  const { isFresh, readBuildInfo } = await import('../scripts/source-stamp.mjs');
  const info = readBuildInfo(ROOT);
  if (isFresh(ROOT, info) && existsSync(join(ROOT, 'dist/main.js'))) return dist;
  const why = info ? 'the sources changed since dist/ was built' : 'dist/ has not been built';
  let failure;
  try {
    const started = Date.now();
    const { buildDist } = await import('../scripts/build.mjs');
    await buildDist(ROOT);
    process.stderr.write(`chartkey: ${why}; rebuilt it (${Date.now() - started} ms)\n`);
    return dist;
  } catch (err) {
    failure = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write(`chartkey: ${why} and it could not be rebuilt (${failure}). Run \`npm run build\` (esbuild is a dependency: \`npm ci\` installs it).\n`);
    process.exit(1);
  }
  process.stderr.write(`chartkey: ${why} and it could not be rebuilt (${failure}); running the TypeScript sources through tsx (slower start-up)\n`);
  return pathToFileURL(join(ROOT, 'src/main.ts')).href;
}

function hasServeSettings() {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return Boolean(process.env.MALLOC_ARENA_MAX) && flags.some((f) => f.startsWith('--max-semi-space-size'));
}

/**
 * `node bin/chartkey.js serve`: the settings can only be had by a new process. Where node can
 * replace the process (process.execve, Node 22.15+) it does; otherwise the server runs as a
 * child in its own process group, signals are passed on, its exit status becomes ours, and
 * if this process dies (even by SIGKILL) the child kills itself (watchParent).
 */
function relaunchWithServeSettings() {
  const own = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((f) => f.startsWith('--max-old-space-size'));
  const argv = [...SERVE_NODE_FLAGS, ...(own ? [] : [OLD_SPACE_FLAG]), ...process.execArgv, fileURLToPath(import.meta.url), ...args];
  const env = { ...SERVE_ENV, ...process.env };
  if (typeof process.execve === 'function') process.execve(process.execPath, [process.execPath, ...argv], env);
  const child = spawn(process.execPath, argv, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: { ...env, CHARTKEY_WATCH_PARENT: '1' }, detached: true });
  for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const s of FORWARDED) process.removeAllListeners(s);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

/** In a server started by relaunchWithServeSettings: the parent's end of the IPC channel closes when it dies. */
function watchParent() {
  if (!process.env.CHARTKEY_WATCH_PARENT || !process.channel) return;
  delete process.env.CHARTKEY_WATCH_PARENT;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
