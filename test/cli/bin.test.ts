import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CHILD_PATH, spawnChartkey } from '../helpers/child.js';

/**
 * Issue 12, the installed command is compiled: `chartkey` runs the bundle in dist/ (never
 * TypeScript at run time), rebuilds it when the sources changed rather than run old code,
 * and `serve` gets the same memory settings as `npm start` whichever way it is started.
 */
const ROOT = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'chartkey-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(bin: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, args, { env: { PATH: CHILD_PATH, HOME: process.env.HOME ?? '/root' }, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The process's environment and command line as the kernel has them. */
function processInfo(pid: number): { env: string[]; argv: string[] } {
  return {
    env: readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0'),
    argv: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'),
  };
}

const gone = async (pid: number) => {
  for (let i = 0; i < 600 && existsSync(`/proc/${pid}/cmdline`) && !/^\S+ \(\S+\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return !existsSync(`/proc/${pid}/cmdline`) || /^\S+ \(\S+\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
};

describe('a checkout: dist/ is what runs, and it follows the sources', () => {
  // A copy of the checkout's sources with the real node_modules beside them.
  const copy = join(dir, 'checkout');
  for (const part of ['bin', 'scripts', 'src', 'tsconfig.json', 'package.json']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const bin = join(copy, 'bin/chartkey.js');

  it('builds dist/ on first use, then runs it as it is while the sources are unchanged', { timeout: 120_000 }, async () => {
    const first = await run(bin, ['--help']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Usage: chartkey <command>/);
    expect(first.stderr).toMatch(/dist\/ has not been built; rebuilt it/);
    expect(existsSync(join(copy, 'dist/build.json'))).toBe(true);

    // Marked by hand: the next run prints the mark, so it ran dist/ (not the sources) without rebuilding.
    appendFileSync(join(copy, 'dist/main.js'), '\nprocess.stdout.write("ran dist\\n");\n');
    const second = await run(bin, ['--help']);
    expect(second.stderr).toBe('');
    expect(second.stdout).toContain('ran dist');

    // A touch (or a copy) changes modification times, not contents: still no rebuild.
    utimesSync(join(copy, 'src/main.ts'), new Date(), new Date(Date.now() + 5000));
    const touched = await run(bin, ['--help']);
    expect(touched.stderr).toBe('');
    expect(touched.stdout).toContain('ran dist');
  });

  it('rebuilds when a source changed (a pull, a branch switch, an edit) instead of running the old bundle', { timeout: 120_000 }, async () => {
    const main = join(copy, 'src/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('Usage: chartkey <command>', 'Usage: chartkey-edited <command>'));
    const res = await run(bin, ['--help']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/the sources changed since dist\/ was built; rebuilt it/);
    expect(res.stdout).toMatch(/^Usage: chartkey-edited <command>/);
    expect(res.stdout).not.toContain('ran dist');
  });

  it('when dist/ cannot be rebuilt, runs the sources through tsx and says so', { timeout: 120_000 }, async () => {
    const main = join(copy, 'src/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('Usage: chartkey-edited <command>', 'Usage: chartkey-sources <command>'));
    rmSync(join(copy, 'dist'), { recursive: true });
    writeFileSync(join(copy, 'dist'), 'not a folder');
    const res = await run(bin, ['--help']);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/could not be rebuilt .*running the TypeScript sources through tsx/);
    expect(res.stdout).toMatch(/^Usage: chartkey-sources <command>/);
  });
});

describe('chartkey serve has the memory settings of npm start', () => {
  const env = () => ({ DATABASE_URL: `sqlite:${join(dir, 'serve.sqlite')}`, CHARTKEY_DATA_DIR: dir });

  it('started as a command: the shell line execs node with them, in the same process', { timeout: 120_000 }, async () => {
    const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], env());
    try {
      await server.waitFor(/Listening on/);
      const { env: vars, argv } = processInfo(server.proc.pid!);
      expect(vars).toContain('MALLOC_ARENA_MAX=2');
      expect(argv).toContain('--max-semi-space-size=4');
      expect(argv).toContain('--max-old-space-size=1024');
      expect(argv).toContain(BIN);
    } finally {
      server.proc.kill('SIGTERM');
    }
    expect(await server.exited, server.stdout() + server.stderr()).toBe(0);
  });

  it('an operator value of MALLOC_ARENA_MAX is kept', { timeout: 120_000 }, async () => {
    const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { ...env(), MALLOC_ARENA_MAX: '4' });
    try {
      await server.waitFor(/Listening on/);
      expect(processInfo(server.proc.pid!).env).toContain('MALLOC_ARENA_MAX=4');
    } finally {
      server.proc.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });

  it('an operator --max-old-space-size in NODE_OPTIONS is kept', { timeout: 120_000 }, async () => {
    const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { ...env(), NODE_OPTIONS: '--max-old-space-size=300' });
    try {
      await server.waitFor(/Listening on/);
      const { argv } = processInfo(server.proc.pid!);
      expect(argv).not.toContain('--max-old-space-size=1024');
      expect(argv).toContain('--max-semi-space-size=4');
    } finally {
      server.proc.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });

  /** `node bin/chartkey.js serve`: the server is a child with the settings; returns both pids. */
  async function startThroughNode() {
    const { spawn } = await import('node:child_process');
    const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1'], {
      env: { PATH: CHILD_PATH, HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', CHARTKEY_DEMO: '0', ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
    for (let i = 0; i < 1200 && !out.includes('Listening on'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('Listening on');
    const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    expect(children).toHaveLength(1);
    return { proc, server: children[0], exited };
  }

  it('started as `node bin/chartkey.js serve`: runs the server again with them, passes SIGTERM on and exits with its status', { timeout: 120_000 }, async () => {
    const { proc, server, exited } = await startThroughNode();
    const { env: vars, argv } = processInfo(server);
    expect(vars).toContain('MALLOC_ARENA_MAX=2');
    expect(argv).toContain('--max-semi-space-size=4');
    expect(argv).toContain('--max-old-space-size=1024');
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await gone(server)).toBe(true);
  });

  it('started as `node bin/chartkey.js serve`: a kill -9 of the command ends the server too', { timeout: 120_000 }, async () => {
    const { proc, server, exited } = await startThroughNode();
    proc.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(await gone(server)).toBe(true);
  });
});
