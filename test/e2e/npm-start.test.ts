import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHILD_PATH } from '../helpers/child.js';

/**
 * README's first command, as a newcomer runs it: `npm start` (package.json's script, run
 * by a shell as npm runs it; `npm install` built dist/ and so did the test setup) serves
 * with the embedded defaults on an empty data folder — demo practice seeded, sign-in
 * details printed once.
 */
describe('npm start on an empty data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chartkey-start-'));
  let server: ChildProcess | undefined;
  afterAll(() => {
    // The script's shell and the server it execs: one process group of their own.
    if (server?.pid) process.kill(-server.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates, seeds the demo practice, prints how to sign in and serves every surface', async () => {
    const root = join(import.meta.dirname, '../..');
    const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const port = 21000 + Math.floor(Math.random() * 9000);
    server = spawn('sh', ['-c', start], {
      cwd: root,
      env: { ...process.env, PATH: CHILD_PATH, CHARTKEY_DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    server.stdout!.on('data', (d) => (out += String(d)));
    server.stderr!.on('data', (d) => (out += String(d)));
    const until = Date.now() + 60_000;
    while (!out.includes('more demo patients') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain(`FHIR base URL:   http://localhost:${port}/fhir`);
    const staff = /username admin\s+password ([A-Za-z0-9]{16})/.exec(out);
    expect(staff).not.toBeNull();
    expect(out.match(/username patient\d\s+password [A-Za-z0-9]{16}/g)).toHaveLength(3);

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/portal/login`)).status).toBe(200);
    expect((await fetch(`${base}/assets/app.css`)).status).toBe(200);
    const search = await fetch(`${base}/fhir/Patient?_summary=count`, { headers: { authorization: `Basic ${Buffer.from(`admin:${staff![1]}`).toString('base64')}` } });
    expect(search.status).toBe(200);
    expect(((await search.json()) as { total: number }).total).toBe(5);
  });
});
