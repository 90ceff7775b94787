import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

/** The installed command: run as operators run it (its shell line, then the compiled bundle in dist/). */
export const BIN = join(import.meta.dirname, '../../bin/chartkey.js');
/** PATH for a child that runs BIN: the bin execs `node` from PATH, so this test run's node comes first. */
export const CHILD_PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

/** A `chartkey` command running as a child process (its own pid, so it can be signalled or killed). */
export interface ChartkeyProcess {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stdout; rejects after `ms` or when the process exits first. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

export function spawnChartkey(args: string[], env: Record<string, string>): ChartkeyProcess {
  const proc = spawn(BIN, args, {
    env: { PATH: CHILD_PATH, HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info', CHARTKEY_DEMO: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters) w();
  });
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) (cleanup(), resolve(m));
        };
        const timer = setTimeout(() => (cleanup(), reject(new Error(`timed out waiting for ${re} in stdout:\n${out}\nstderr:\n${err}`))), ms);
        const cleanup = () => (clearTimeout(timer), waiters.delete(check));
        waiters.add(check);
        void exited.then((code) => (cleanup(), reject(new Error(`exited (${code}) before ${re} appeared:\n${out}\n${err}`))));
        check();
      });
    },
  };
}
