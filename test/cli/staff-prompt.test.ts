import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createServices } from '../../src/services.js';
import { BIN, CHILD_PATH } from '../helpers/child.js';

/**
 * `chartkey staff add USERNAME` without --password asks for the password twice on the
 * terminal, without echoing it (issue 13's security review: a password typed at a prompt
 * must not appear on screen, in a scroll-back or a terminal recording). The command gets a
 * real pseudo-terminal from util-linux `script`, which forwards what the test writes.
 */
const SCRIPT = '/usr/bin/script';
const dir = mkdtempSync(join(tmpdir(), 'chartkey-staff-prompt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `chartkey staff add USERNAME` on a terminal, on the embedded database in `dataDir`; `answers` are typed once each prompt appears. */
async function addOnTerminal(dataDir: string, username: string, answers: string[]): Promise<{ code: number; screen: string }> {
  const proc: ChildProcess = spawn(SCRIPT, ['--quiet', '--return', '--command', `${BIN} staff add ${username}`, '/dev/null'], {
    env: { PATH: CHILD_PATH, HOME: process.env.HOME ?? '/root', CHARTKEY_DATA_DIR: dataDir, CHARTKEY_DEMO: '0', TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  const pending = [...answers];
  const prompts = /(Password for \S+: |Repeat the password: )$/;
  proc.stdout!.on('data', (c: Buffer) => {
    screen += c.toString();
    // Type the next answer only once its prompt is on screen (the terminal is raw by then).
    if (prompts.test(screen) && pending.length > 0) proc.stdin!.write(`${pending.shift()}\r`);
  });
  proc.stderr!.on('data', (c: Buffer) => (screen += c.toString()));
  const code = await new Promise<number>((resolve) => proc.on('exit', (c) => resolve(c ?? -1)));
  return { code, screen };
}

async function verify(dataDir: string, username: string, password: string): Promise<boolean> {
  const services = await createServices(loadConfig({}, { databaseUrl: `sqlite:${join(dataDir, 'chartkey.sqlite')}`, demo: false, logLevel: 'warn' }));
  try {
    return (await services.staff.verify(username, password)) !== undefined;
  } finally {
    await services.close();
  }
}

describe.runIf(existsSync(SCRIPT))('chartkey staff add: the password prompt', () => {
  it('asks twice, echoes neither answer, and creates an account that signs in with it', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'same');
    const password = 'prompted staff pass 7Q';
    const { code, screen } = await addOnTerminal(dataDir, 'prompted', [password, password]);
    expect(screen).toContain('Password for prompted: ');
    expect(screen).toContain('Repeat the password: ');
    expect(screen).toContain('Created staff account "prompted"');
    expect(screen).not.toContain(password);
    expect(code).toBe(0);
    expect(await verify(dataDir, 'prompted', password)).toBe(true);
  });

  it('refuses answers that differ, creating nothing', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'differ');
    const { code, screen } = await addOnTerminal(dataDir, 'mismatch', ['first answer 1234', 'second answer 1234']);
    expect(screen).toContain('the passwords do not match');
    expect(screen).not.toContain('first answer');
    expect(code).toBe(2);
    expect(await verify(dataDir, 'mismatch', 'first answer 1234')).toBe(false);
  });
});
