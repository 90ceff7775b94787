import { describe, expect, it } from 'vitest';
import { ImportError, importBundle } from '../../src/importer/index.js';
import { MemoryStore } from './memory-store.js';

const NPI = 'http://hl7.org/fhir/sid/us-npi';
const SYN = 'https://github.com/synthetichealth/synthea';

function tx(entries: unknown[], type = 'transaction') {
  return { resourceType: 'Bundle', type, entry: entries };
}
function post(uuid: string, resource: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { fullUrl: `urn:uuid:${uuid}`, resource, request: { method: 'POST', url: resource.resourceType, ...extra } };
}
const practitioner = (id: string, npi: string) => ({ resourceType: 'Practitioner', id, identifier: [{ system: NPI, value: npi }] });

async function expectImportError(p: Promise<unknown>, code: string, ...parts: string[]): Promise<ImportError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImportError);
  const e = err as ImportError;
  expect(e.code).toBe(code);
  for (const part of parts) expect(e.message).toContain(part);
  return e;
}

describe('importBundle', () => {
  it('keeps source ids and rewrites urn:uuid references to Type/id, forwards and backwards', async () => {
    const store = new MemoryStore();
    const bundle = tx([
      post('e1', { resourceType: 'Encounter', id: 'e1', subject: { reference: 'urn:uuid:p1' } }),
      post('p1', { resourceType: 'Patient', id: 'p1', generalPractitioner: [{ reference: 'urn:uuid:e1' }] }),
    ]);
    const result = await importBundle(store, bundle, { source: 'a.json' });
    expect(result).toMatchObject({ bundleType: 'transaction', resources: 2, created: 2 });
    expect(store.get('Encounter', 'e1')?.subject).toEqual({ reference: 'Patient/p1' });
    expect(store.get('Patient', 'p1')?.generalPractitioner).toEqual([{ reference: 'Encounter/e1' }]);
  });

  it('does not modify the bundle it is given', async () => {
    const bundle = tx([post('p1', { resourceType: 'Patient' }), post('o1', { resourceType: 'Observation', subject: { reference: 'urn:uuid:p1' } })]);
    const before = JSON.stringify(bundle);
    await importBundle(new MemoryStore(), bundle);
    expect(JSON.stringify(bundle)).toBe(before);
  });

  it('takes the id of PUT Type/id and points urn:uuid references at it (Inferno PUT Patient/85)', async () => {
    const store = new MemoryStore();
    await importBundle(store, tx([
      { fullUrl: 'urn:uuid:d831ec91', resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient/85' } },
      post('c1', { resourceType: 'Condition', id: 'c1', subject: { reference: 'urn:uuid:d831ec91' } }),
    ]));
    expect(store.get('Patient', '85')).toBeDefined();
    expect(store.get('Condition', 'c1')?.subject).toEqual({ reference: 'Patient/85' });
  });

  it('rejects PUT whose resource.id differs from the url id', async () => {
    const bundle = tx([{ resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/b' } }]);
    await expectImportError(importBundle(new MemoryStore(), bundle, { source: 'f.json' }), 'id_mismatch', 'f.json: entry[0]', '"a"', '"b"');
  });

  it('gives a POST entry without any id a content-derived id, so a re-import changes nothing', async () => {
    const store = new MemoryStore();
    const role = { resourceType: 'PractitionerRole', practitioner: { identifier: { system: NPI, value: '1' } } };
    const bundle = tx([{ resource: role, request: { method: 'POST', url: 'PractitionerRole' } }], 'batch');
    const first = await importBundle(store, bundle);
    const second = await importBundle(store, bundle);
    expect(first.created).toBe(1);
    expect(second).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(Object.keys(store.countByType())).toEqual(['PractitionerRole']);
    expect(first.entries[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Identifier-only (logical) references are left as they are.
    expect(store.get('PractitionerRole', first.entries[0].id)?.practitioner).toEqual(role.practitioner);
  });

  it('makes a second import of the same bundle write no new version', async () => {
    const store = new MemoryStore();
    const bundle = tx([post('p1', { resourceType: 'Patient', id: 'p1' }), post('o1', { resourceType: 'Observation', id: 'o1', subject: { reference: 'urn:uuid:p1' } })]);
    await importBundle(store, bundle);
    const versions = store.versions;
    const again = await importBundle(store, bundle);
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    expect(store.versions).toBe(versions);
  });

  it('conditional create: an existing match is used, not duplicated, and references follow it', async () => {
    const store = new MemoryStore();
    await importBundle(store, tx([{ resource: practitioner('existing', '42'), request: { method: 'PUT', url: 'Practitioner/existing' } }]));
    const result = await importBundle(store, tx([
      post('new', practitioner('new', '42'), { ifNoneExist: `identifier=${NPI}|42` }),
      post('r1', { resourceType: 'PractitionerRole', id: 'r1', practitioner: { reference: 'urn:uuid:new' } }),
    ], 'batch'));
    expect(result.entries[0]).toMatchObject({ outcome: 'matched', id: 'existing' });
    expect(store.get('Practitioner', 'new')).toBeUndefined();
    expect(store.get('PractitionerRole', 'r1')?.practitioner).toEqual({ reference: 'Practitioner/existing' });
  });

  it('conditional create: no match creates under the source id; the same criteria twice in a bundle create once', async () => {
    const store = new MemoryStore();
    await importBundle(store, tx([
      post('a', practitioner('a', '7'), { ifNoneExist: `identifier=${NPI}|7` }),
      post('b', practitioner('b', '7'), { ifNoneExist: `identifier=${NPI}|7` }),
    ]));
    expect(store.countByType()).toEqual({ Practitioner: 1 });
  });

  it('conditional create: several matches are an error', async () => {
    const store = new MemoryStore();
    await importBundle(store, tx([post('a', practitioner('a', '7')), post('b', practitioner('b', '7'))], 'collection'));
    await expectImportError(
      importBundle(store, tx([post('c', practitioner('c', '7'), { ifNoneExist: `identifier=${NPI}|7` })]), { source: 'x.json' }),
      'ambiguous_reference', 'x.json: entry[0] (urn:uuid:c) Practitioner', 'match 2',
    );
  });

  it('resolves conditional references, also inside contained resources', async () => {
    const store = new MemoryStore();
    await importBundle(store, tx([post('pr', practitioner('pr', '99')), post('org', { resourceType: 'Organization', id: 'org', identifier: [{ system: SYN, value: 'o-1' }] })], 'batch'));
    await importBundle(store, tx([
      post('eob', {
        resourceType: 'ExplanationOfBenefit',
        id: 'eob',
        contained: [{ resourceType: 'ServiceRequest', id: 'ref', requester: { reference: `Practitioner?identifier=${NPI}|99` } }],
        referral: { reference: '#ref' },
        provider: { reference: `Organization?identifier=${SYN}|o-1` },
        careTeam: [{ provider: { reference: `Practitioner?identifier=${encodeURIComponent(NPI)}%7C99` } }],
      }),
    ]));
    const eob = store.get('ExplanationOfBenefit', 'eob')!;
    expect((eob.contained as Array<{ requester: unknown }>)[0].requester).toEqual({ reference: 'Practitioner/pr' });
    expect(eob.provider).toEqual({ reference: 'Organization/org' });
    expect(eob.referral).toEqual({ reference: '#ref' });
    expect(eob.careTeam).toEqual([{ provider: { reference: 'Practitioner/pr' } }]);
  });

  it('resolves a conditional reference against an entry written earlier in the same bundle', async () => {
    const store = new MemoryStore();
    await importBundle(store, tx([
      post('p', { resourceType: 'Patient', id: 'p', identifier: [{ system: 'urn:mrn', value: 'm1' }] }),
      post('o', { resourceType: 'Observation', id: 'o', subject: { reference: 'Patient?identifier=urn:mrn|m1' } }),
    ]));
    expect(store.get('Observation', 'o')?.subject).toEqual({ reference: 'Patient/p' });
  });

  it('leaves relative, absolute and identifier-only references as written', async () => {
    const store = new MemoryStore();
    const obs = {
      resourceType: 'Observation', id: 'o',
      subject: { reference: 'Patient/example' },
      performer: [{ reference: 'https://other.example/fhir/Practitioner/1' }, { identifier: { system: NPI, value: '5' } }],
    };
    await importBundle(store, obs, { source: 'obs.json' });
    expect(store.get('Observation', 'o')).toEqual(obs);
  });

  it('stores nothing of a bundle with an unresolved conditional reference, and says which', async () => {
    const store = new MemoryStore();
    const ref = `Practitioner?identifier=${NPI}|404`;
    const err = await expectImportError(
      importBundle(store, tx([post('p', { resourceType: 'Patient', id: 'p' }), post('e', { resourceType: 'Encounter', id: 'e', participant: [{ individual: { reference: ref } }] })]), { source: 'pat.json' }),
      'unresolved_reference', 'pat.json: entry[1] (urn:uuid:e) Encounter', ref,
    );
    expect(err.retryable).toBe(true);
    expect(store.resources.size).toBe(0);
  });

  it('stores nothing of a bundle with a urn:uuid reference to no entry', async () => {
    const store = new MemoryStore();
    const err = await expectImportError(
      importBundle(store, tx([post('p', { resourceType: 'Patient', id: 'p' }), post('o', { resourceType: 'Observation', id: 'o', subject: { reference: 'urn:uuid:gone' } })]), { source: 'b.json' }),
      'unresolved_reference', 'b.json: entry[1] (urn:uuid:o) Observation', 'urn:uuid:gone',
    );
    expect(err.retryable).toBe(false);
    expect(store.resources.size).toBe(0);
  });

  it('rejects a conditional reference matching several resources', async () => {
    const store = new MemoryStore();
    await importBundle(store, tx([post('a', practitioner('a', '3')), post('b', practitioner('b', '3'))], 'collection'));
    await expectImportError(
      importBundle(store, tx([post('o', { resourceType: 'Observation', id: 'o', performer: [{ reference: `Practitioner?identifier=${NPI}|3` }] })])),
      'ambiguous_reference', 'matches 2 Practitioner',
    );
  });

  it('stores batch bundles atomically: a bad entry anywhere stores none of them', async () => {
    const store = new MemoryStore();
    const bundle = tx([post('a', { resourceType: 'Organization', id: 'a' }), post('b', { resourceType: 'Organization', id: 'b', partOf: { reference: 'urn:uuid:zz' } })], 'batch');
    await expectImportError(importBundle(store, bundle), 'unresolved_reference');
    expect(store.resources.size).toBe(0);
  });

  it('imports collection bundles (entries without request)', async () => {
    const store = new MemoryStore();
    const r = await importBundle(store, { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:p', resource: { resourceType: 'Patient', id: 'p' } }] });
    expect(r).toMatchObject({ bundleType: 'collection', created: 1 });
  });

  it('supports DELETE Type/id and rejects conditional DELETE', async () => {
    const store = new MemoryStore();
    await importBundle(store, { resourceType: 'Patient', id: 'p' });
    const r = await importBundle(store, tx([{ request: { method: 'DELETE', url: 'Patient/p' } }]));
    expect(r.deleted).toBe(1);
    expect(store.get('Patient', 'p')).toBeUndefined();
    await expectImportError(importBundle(store, tx([{ request: { method: 'DELETE', url: 'Patient?name=x' } }])), 'unsupported_method', 'conditional DELETE');
  });

  it('conditional update PUT Type?criteria updates the one match', async () => {
    const store = new MemoryStore();
    await importBundle(store, practitioner('pr', '8'));
    const r = await importBundle(store, tx([{ resource: { ...practitioner('x', '8'), id: undefined, active: true }, request: { method: 'PUT', url: `Practitioner?identifier=${NPI}|8` } }]));
    expect(r.entries[0]).toMatchObject({ id: 'pr', outcome: 'updated' });
    expect(store.get('Practitioner', 'pr')?.active).toBe(true);
  });

  it('rejects two entries writing the same resource', async () => {
    await expectImportError(
      importBundle(new MemoryStore(), tx([post('a', { resourceType: 'Patient', id: 'p' }), post('b', { resourceType: 'Patient', id: 'p' })])),
      'duplicate_entry', 'entry[1]', 'Patient/p is also written by entry[0]',
    );
  });

  const hostile: Array<[string, unknown, string, string]> = [
    ['a JSON array', [], 'not_a_resource', 'not a FHIR resource'],
    ['no resourceType', { id: 'x' }, 'not_a_resource', 'no resourceType'],
    ['an unknown resource type', { resourceType: 'Starship', id: 'x' }, 'unknown_type', 'Unknown resource type "Starship"'],
    ['a searchset Bundle', { resourceType: 'Bundle', type: 'searchset', entry: [] }, 'unsupported_bundle', 'Bundle.type "searchset"'],
    ['a malformed id', { resourceType: 'Patient', id: 'no spaces please' }, 'invalid_id', 'not a valid FHIR id'],
    ['a 65-character id', { resourceType: 'Patient', id: 'x'.repeat(65) }, 'invalid_id', 'not a valid FHIR id'],
    ['an entry without resource', tx([{ fullUrl: 'urn:uuid:1', request: { method: 'POST', url: 'Patient' } }]), 'missing_resource', 'entry[0] (urn:uuid:1): entry has no resource'],
    ['an entry with an unknown type', tx([post('1', { resourceType: 'Patient' }), post('2', { resourceType: 'Nope' })]), 'unknown_type', 'entry[1] (urn:uuid:2)'],
    ['a GET entry', tx([{ request: { method: 'GET', url: 'Patient/1' } }]), 'unsupported_method', 'request.method "GET"'],
    ['a PATCH entry', tx([{ resource: { resourceType: 'Patient' }, request: { method: 'PATCH', url: 'Patient/1' } }]), 'unsupported_method', '"PATCH"'],
    ['a transaction entry without request', tx([{ resource: { resourceType: 'Patient' } }]), 'unsupported_method', 'needs request.method'],
    ['a POST to another type', tx([{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Observation' } }]), 'id_mismatch', 'does not match resourceType'],
    ['a duplicate fullUrl', tx([post('1', { resourceType: 'Patient' }), post('1', { resourceType: 'Patient', id: 'q' })]), 'duplicate_entry', 'fullUrl is also used by entry[0]'],
    ['an entry that is not an object', tx([42]), 'not_a_resource', 'entry[0]: entry is not an object'],
    ['a conditional reference to an unknown type', tx([post('1', { resourceType: 'Observation', subject: { reference: 'Starship?identifier=x' } })]), 'unknown_type', '"Starship?identifier=x"'],
  ];
  for (const [what, json, code, text] of hostile) {
    it(`rejects ${what} and stores nothing`, async () => {
      const store = new MemoryStore();
      await expectImportError(importBundle(store, json, { source: 'in.json', resourceTypes: ['Patient', 'Observation', 'Practitioner'] }), code, 'in.json', text);
      expect(store.resources.size).toBe(0);
    });
  }
});
