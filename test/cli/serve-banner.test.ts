import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnChartkey } from '../helpers/child.js';
import { createTestDb, postgresAvailable } from '../helpers/db.js';

/**
 * docs/security.md, command line: the banner `chartkey serve` prints names the database
 * without the password of a PostgreSQL URL (the banner ends up in terminals, CI logs and
 * service managers' journals).
 */
const dir = mkdtempSync(join(tmpdir(), 'chartkey-banner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(await postgresAvailable())('chartkey serve banner', () => {
  it('prints a PostgreSQL DATABASE_URL with its user and password masked', async () => {
    const testDb = await createTestDb('postgres');
    // Trust authentication on the test server accepts any password: the URL still carries one.
    const password = 'banner-secret-7f3a';
    const url = testDb.url.replace('postgres://postgres@', `postgres://postgres:${password}@`);
    expect(url).toContain(password);
    const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { DATABASE_URL: url, CHARTKEY_DATA_DIR: dir });
    try {
      const [line] = await server.waitFor(/Database:\s+\S+/);
      expect(line).toBe(`Database:        ${testDb.url.replace('postgres://postgres@', 'postgres://***@')}`);
      expect(server.stdout()).not.toContain(password);
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
      await testDb.drop();
    }
  }, 60_000);
});
