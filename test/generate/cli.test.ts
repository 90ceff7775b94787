import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import command, { parseOptions } from '../../src/cli/generate.js';
import type { CliContext } from '../../src/cli/types.js';
import { loadConfig } from '../../src/config/config.js';
import { generatePatients } from '../../src/generate/index.js';

function context(): { ctx: CliContext; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  const ctx: CliContext = { config: loadConfig({ CHARTKEY_DATA_DIR: join(tmpdir(), 'chartkey-generate-unused') }), stdout, stderr, interactive: false };
  return { ctx, out: () => o, err: () => e };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('chartkey generate: arguments', () => {
  it('reads --patients, --seed (default 1) and --out', () => {
    expect(parseOptions(['--patients', '5'])).toEqual({ patients: 5, seed: 1 });
    expect(parseOptions(['--patients=3', '--seed', '-7', '--out', 'x'])).toEqual({ patients: 3, seed: -7, out: 'x' });
  });

  for (const [args, message] of [
    [[], '--patients N is required'],
    [['--patients', '0'], '--patients must be a positive integer, got "0"'],
    [['--patients', '2.5'], '--patients must be an integer, got "2.5"'],
    [['--patients', 'ten'], '--patients must be an integer, got "ten"'],
    [['--patients', '2', '--seed', 'abc'], '--seed must be an integer, got "abc"'],
    [['--patients', '2', '--colour', 'red'], 'unknown option --colour'],
    [['--patients', '2', 'extra'], 'unexpected argument "extra"'],
    [['--patients'], '--patients needs a value'],
  ] as Array<[string[], string]>) {
    it(`rejects ${JSON.stringify(args)} with exit code 2 and "${message}"`, async () => {
      const { ctx, err } = context();
      expect(await command.run(args, ctx)).toBe(2);
      expect(err()).toContain(`chartkey generate: ${message}`);
      expect(err()).toContain('Usage: chartkey generate --patients N');
    });
  }
});

describe('chartkey generate --out', () => {
  it('creates the folder and writes providers.json plus one <patient-id>.json per patient', async () => {
    const base = await mkdtemp(join(tmpdir(), 'chartkey-gen-'));
    dirs.push(base);
    const dir = join(base, 'nested', 'out');
    const { ctx, out } = context();
    expect(await command.run(['--patients', '3', '--seed', '9', '--out', dir], ctx)).toBe(0);
    const expected = [...generatePatients({ count: 3, seed: 9 })];
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['providers.json', ...expected.map((b) => `${b.entry[0].resource.id}.json`)].sort());
    for (const b of expected) {
      expect(JSON.parse(await readFile(join(dir, `${b.entry[0].resource.id}.json`), 'utf8'))).toEqual(b);
    }
    const providers = JSON.parse(await readFile(join(dir, 'providers.json'), 'utf8'));
    expect(providers.resourceType).toBe('Bundle');
    expect(out()).toMatch(/^Generated 3 patient\(s\) \(seed 9\), [\d,]+ resources written to /);
  });
});

describe('chartkey generate (import into the database)', () => {
  it('imports providers and patients through the importer, and a second run changes nothing', async () => {
    const base = await mkdtemp(join(tmpdir(), 'chartkey-gen-db-'));
    dirs.push(base);
    const make = () => {
      const c = context();
      return { ...c, ctx: { ...c.ctx, config: loadConfig({ CHARTKEY_DATA_DIR: base, CHARTKEY_DEMO: '0' }) } };
    };
    const first = make();
    expect(await command.run(['--patients', '2', '--seed', '4'], first.ctx), first.err()).toBe(0);
    expect(first.out()).toMatch(/^Generated 2 patient\(s\) \(seed 4\), [\d,]+ resources imported in /);
    const { createServices } = await import('../../src/services.js');
    const services = await createServices(loadConfig({ CHARTKEY_DATA_DIR: base, CHARTKEY_DEMO: '0' }));
    try {
      const bundle = [...generatePatients({ count: 2, seed: 4 })][1];
      const patient = bundle.entry[0].resource;
      const stored = await services.store.read({ kind: 'all' }, 'Patient', patient.id);
      expect(stored?.id).toBe(patient.id);
      const { importBundle } = await import('../../src/importer/index.js');
      const again = await importBundle(services.store, bundle);
      expect(again.created).toBe(0);
      expect(again.unchanged).toBe(bundle.entry.length);
    } finally {
      await services.close();
    }
  });
});
