import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importFiles, listFiles, type ImportProgress } from '../../src/importer/index.js';
import { MemoryStore } from './memory-store.js';

const dir = mkdtempSync(join(tmpdir(), 'chartkey-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, content: unknown): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const org = (id: string) => ({ resourceType: 'Organization', id, identifier: [{ system: 'urn:org', value: id }] });
const providers = { resourceType: 'Bundle', type: 'batch', entry: [{ fullUrl: 'urn:uuid:o1', resource: org('o1'), request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=urn:org|o1' } }] };
const patient = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [{ fullUrl: 'urn:uuid:p1', resource: { resourceType: 'Patient', id: 'p1', managingOrganization: { reference: 'Organization?identifier=urn:org|o1' } }, request: { method: 'POST', url: 'Patient' } }],
};

describe('importFiles', () => {
  it('lists folders recursively in name order, only .json and .ndjson, skipping hidden files', async () => {
    write('order/b.json', {});
    write('order/a/z.ndjson', '');
    write('order/README.md', '');
    write('order/.hidden.json', {});
    write('order/C.json', {});
    expect((await listFiles([join(dir, 'order')])).map((p) => p.slice(dir.length + 7))).toEqual(['C.json', 'a/z.ndjson', 'b.json']);
  });

  it('imports patients that sort before their providers by retrying them after the rest', async () => {
    const store = new MemoryStore();
    write('synthea/Alice.json', patient);
    write('synthea/hospitalInformation1.json', providers);
    const events: ImportProgress[] = [];
    const result = await importFiles(store, [join(dir, 'synthea')], { onProgress: (p) => events.push(p) });
    expect(result).toMatchObject({ files: 2, imported: 2, failures: [], created: 2 });
    expect(events.filter((e) => e.kind === 'deferred').map((e) => e.file)).toEqual([join(dir, 'synthea/Alice.json')]);
    expect(store.get('Patient', 'p1')?.managingOrganization).toEqual({ reference: 'Organization/o1' });
  });

  it('without retries, a patient before its providers fails cleanly and the providers still import', async () => {
    const store = new MemoryStore();
    const result = await importFiles(store, [join(dir, 'synthea')], { retryUnresolved: false });
    expect(result).toMatchObject({ files: 2, imported: 1 });
    expect(result.failures[0].message).toContain('Alice.json: entry[0] (urn:uuid:p1) Patient: unresolved conditional reference');
    expect(store.countByType()).toEqual({ Organization: 1 });
  });

  it('reports a reference that never resolves once, after retrying, and keeps the other files', async () => {
    const store = new MemoryStore();
    const bad = write('never/a.json', patient);
    const good = write('never/b.json', org('o2'));
    const result = await importFiles(store, [bad, good]);
    expect(result.imported).toBe(1);
    expect(result.failures.map((f) => f.code)).toEqual(['unresolved_reference']);
    expect(store.countByType()).toEqual({ Organization: 1 });
  });

  it('imports NDJSON one resource per line, conditional references resolved, blank lines ignored', async () => {
    const store = new MemoryStore();
    const file = write('bulk/Observation.ndjson', [JSON.stringify(org('o1')), '', JSON.stringify({ resourceType: 'Observation', id: 'x', performer: [{ reference: 'Organization?identifier=urn:org|o1' }] })].join('\n') + '\n');
    const result = await importFiles(store, [file]);
    expect(result).toMatchObject({ imported: 1, created: 2 });
    expect(store.get('Observation', 'x')?.performer).toEqual([{ reference: 'Organization/o1' }]);
    expect((await importFiles(store, [file])).unchanged).toBe(2);
  });

  it('stores nothing of an NDJSON file with a bad line and names the line', async () => {
    const store = new MemoryStore();
    const file = write('bulk-bad/p.ndjson', `${JSON.stringify(org('o1'))}\n{"resourceType": "Patient", "id": "bad id"}\n`);
    const result = await importFiles(store, [file]);
    expect(result.failures[0].message).toBe(`${file}: line 2 Patient: id "bad id" is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`);
    expect(store.resources.size).toBe(0);
  });

  it('rejects an NDJSON file that names one resource twice', async () => {
    const file = write('bulk-dup/p.ndjson', `${JSON.stringify(org('o1'))}\n${JSON.stringify({ ...org('o1'), active: true })}\n`);
    const result = await importFiles(new MemoryStore(), [file]);
    expect(result.failures[0]).toMatchObject({ code: 'duplicate_entry' });
    expect(result.failures[0].message).toContain('line 2');
  });

  const badFiles: Array<[string, string, string, string]> = [
    ['a file that is not JSON', 'bad/broken.json', '{"resourceType": "Bundle", ', 'invalid_json'],
    ['an NDJSON line that is not JSON', 'bad/broken.ndjson', '{"resourceType":"Patient","id":"a"}\nnope\n', 'invalid_json'],
    ['a file with another extension', 'bad/notes.txt', 'hello', 'unreadable_file'],
  ];
  for (const [what, rel, content, code] of badFiles) {
    it(`reports ${what} by file name and stores nothing`, async () => {
      const store = new MemoryStore();
      const file = write(rel, content);
      const result = await importFiles(store, [file]);
      expect(result).toMatchObject({ files: 1, imported: 0 });
      expect(result.failures[0].code).toBe(code);
      expect(result.failures[0].message.startsWith(file)).toBe(true);
      expect(store.resources.size).toBe(0);
    });
  }

  it('reports a path that does not exist', async () => {
    const result = await importFiles(new MemoryStore(), [join(dir, 'missing.json')]);
    expect(result.failures[0]).toMatchObject({ code: 'unreadable_file' });
  });
});
