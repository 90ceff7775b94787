import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import command from '../../src/cli/group.js';
import type { CliContext } from '../../src/cli/types.js';
import { loadConfig } from '../../src/config/config.js';
import { openDb } from '../../src/db/open.js';
import { ALL } from '../../src/fhir/scope.js';
import { createServices } from '../../src/services.js';

const dir = mkdtempSync(join(tmpdir(), 'chartkey-cli-group-'));
const url = `sqlite:${join(dir, 'db.sqlite')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => {
    const s = new PassThrough();
    s.on('data', (c: Buffer) => into.push(c.toString()));
    return s;
  };
  const ctx: CliContext = { config: loadConfig({ DATABASE_URL: url, CHARTKEY_DATA_DIR: dir, CHARTKEY_DEMO: '0', LOG_LEVEL: 'silent' }), stdout: sink(out), stderr: sink(err), interactive: false };
  return command.run(args, ctx).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

async function withStore<T>(fn: (s: Awaited<ReturnType<typeof createServices>>) => Promise<T>): Promise<T> {
  const services = await createServices(loadConfig({ DATABASE_URL: url, CHARTKEY_DATA_DIR: dir, LOG_LEVEL: 'silent' }), { db: openDb(url) });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}
const members = (json: string) => (JSON.parse(json) as { member: Array<{ entity: { reference: string } }> }).member.map((m) => m.entity.reference);

describe('chartkey group add', () => {
  beforeAll(async () => {
    await withStore((s) =>
      s.store.transaction(async (tx) => {
        await tx.put({ resourceType: 'Patient', id: 'a1', identifier: [{ system: 'urn:mrn', value: 'M-1' }] });
        await tx.put({ resourceType: 'Patient', id: 'a2' });
        await tx.put({ resourceType: 'Patient', id: 'a3' });
      }),
    );
  });

  it('prints the new Group id; its members are the patients named by id or system|value', async () => {
    const r = await run(['add', 'Pair', '--patient', 'urn:mrn|M-1', '--patient=a3']);
    expect(r.code, r.err).toBe(0);
    const id = r.out.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const group = await withStore((s) => s.store.read(ALL, 'Group', id));
    expect(group).toBeDefined();
    expect(members(group!.json)).toEqual(['Patient/a1', 'Patient/a3']);
    expect(JSON.parse(group!.json).name).toBe('Pair');
  });

  it('--all-patients --json prints {"id": …} and lists every patient', async () => {
    const r = await run(['add', 'Everyone', '--all-patients', '--json']);
    expect(r.code, r.err).toBe(0);
    const { id } = JSON.parse(r.out) as { id: string };
    const group = await withStore((s) => s.store.read(ALL, 'Group', id));
    expect(members(group!.json).sort()).toEqual(['Patient/a1', 'Patient/a2', 'Patient/a3']);
  });

  it('refuses bad usage (exit 2) and unknown patients (exit 1) without storing a Group', async () => {
    const count = () => withStore(async (s) => (await s.db.all("SELECT id FROM resources WHERE type = 'Group'")).length);
    const before = await count();
    for (const args of [['add', 'X'], ['add', 'X', '--all-patients', '--patient', 'a1'], ['add', '--patient', 'a1'], ['remove', 'X', '--patient', 'a1'], ['add', 'X', '--patient']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('chartkey group');
    }
    const unknown = await run(['add', 'X', '--patient', 'a1', '--patient', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No Patient with id "nobody"');
    expect(await count()).toBe(before);
  });
});
