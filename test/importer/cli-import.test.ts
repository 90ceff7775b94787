import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import command from '../../src/cli/import.js';
import type { CliContext } from '../../src/cli/types.js';
import { loadConfig } from '../../src/config/config.js';

const dir = mkdtempSync(join(tmpdir(), 'chartkey-cli-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context(interactive: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => {
    const s = new PassThrough();
    s.on('data', (c: Buffer) => into.push(c.toString()));
    return s;
  };
  const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CHARTKEY_DATA_DIR: dir, CHARTKEY_DEMO: '0' });
  const ctx: CliContext = { config, stdout: sink(out), stderr: sink(err), interactive };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

const good = join(dir, 'good.json');
writeFileSync(good, JSON.stringify({
  resourceType: 'Bundle', type: 'transaction',
  entry: [
    { fullUrl: 'urn:uuid:p', resource: { resourceType: 'Patient', id: 'cli-p' }, request: { method: 'POST', url: 'Patient' } },
    { fullUrl: 'urn:uuid:o', resource: { resourceType: 'Observation', id: 'cli-o', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:p' } }, request: { method: 'POST', url: 'Observation' } },
  ],
}));
const bad = join(dir, 'bad.json');
writeFileSync(bad, JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [{ fullUrl: 'urn:uuid:x', request: { method: 'POST', url: 'Patient' } }] }));

describe('chartkey import', () => {
  it('prints one summary line when not on a terminal and exits 0', async () => {
    const c = context(false);
    expect(await command.run([good], c.ctx)).toBe(0);
    expect(c.out()).toMatch(/^Imported 1 of 1 file\(s\): 2 resources \(2 created, 0 updated, 0 unchanged\) in \d+\.\d s \([\d,]+ resources\/s\)\n$/);
    expect(c.err()).toBe('');
  });

  it('draws a progress bar on stderr on a terminal, and a re-import changes nothing', async () => {
    const c = context(true);
    expect(await command.run([good], c.ctx)).toBe(0);
    expect(c.err()).toContain('file 1 of 1');
    expect(c.err()).toMatch(/resources\/s|\/s/);
    expect(c.out()).toContain('(0 created, 0 updated, 2 unchanged)');
  });

  it('exits 1 naming the file and entry of a bad bundle, and says the other files are imported', async () => {
    const c = context(false);
    expect(await command.run([bad, good], c.ctx)).toBe(1);
    expect(c.err()).toContain(`${bad}: entry[0] (urn:uuid:x): entry has no resource`);
    expect(c.err()).toContain('1 of 2 file(s) failed and stored nothing; the other 1 file(s) are imported.');
  });

  it('exits 2 with the usage when no path is given', async () => {
    const c = context(false);
    expect(await command.run([], c.ctx)).toBe(2);
    expect(c.err()).toContain('Usage: chartkey import PATH...');
  });
});
