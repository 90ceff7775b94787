import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPatientIds, resolvePatient } from '../../src/accounts/patient-lookup.js';
import { backends } from '../helpers/db.js';
import { loadFixture, type Fixture } from '../fhir/search/fixture.js';

/**
 * Staff's patient lookup (admin search, `chartkey portal enable`, Groups) is a FHIR search
 * of Patient: name words are prefixes of name parts (ANDed, accents and case ignored,
 * https://hl7.org/fhir/R4/search.html#string), birthdate a date range, identifier a token.
 */
describe.each(await backends())('patient lookup on %s', (kind) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await loadFixture(kind, false);
    await f.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Åström', given: ['Maria', 'José'] }], birthDate: '1980-04-02', identifier: [{ system: 'urn:mrn', value: 'A-1' }] });
      await tx.put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Astor', given: ['Maria'] }], birthDate: '1980-05-01', identifier: [{ system: 'urn:mrn', value: 'B,2' }] });
      await tx.put({ resourceType: 'Patient', id: 'p3', name: [{ family: 'Astor', given: ['John'] }], birthDate: '1975-01-01', identifier: [{ system: 'urn:other', value: 'A-1' }] });
      await tx.put({ resourceType: 'Patient', id: 'gone', name: [{ family: 'Astor' }] });
      await tx.delete('Patient', 'gone');
    });
  });
  afterAll(async () => f?.t.drop());

  it('finds by name words (prefixes, all of them, accents and case ignored), birth date and identifier', async () => {
    expect(await findPatientIds(f.store, { name: 'ast' })).toEqual(['p1', 'p2', 'p3']);
    expect(await findPatientIds(f.store, { name: 'astr' })).toEqual(['p1']);
    expect(await findPatientIds(f.store, { name: '  MARIA   ast ' })).toEqual(['p1', 'p2']);
    expect(await findPatientIds(f.store, { name: 'maria jose' })).toEqual(['p1']);
    expect(await findPatientIds(f.store, { birthDate: '1980' })).toEqual(['p1', 'p2']);
    expect(await findPatientIds(f.store, { birthDate: '1980-04' })).toEqual(['p1']);
    expect(await findPatientIds(f.store, { birthDate: 'not a date' })).toEqual([]);
    expect(await findPatientIds(f.store, { identifier: 'A-1' })).toEqual(['p1', 'p3']);
    expect(await findPatientIds(f.store, { identifier: 'urn:mrn|A-1' })).toEqual(['p1']);
    expect(await findPatientIds(f.store, { name: 'maria', birthDate: '1980-05-01' })).toEqual(['p2']);
    expect(await findPatientIds(f.store, {}, 2)).toEqual(['p1', 'p2']);
  });

  it('takes search syntax in the input literally', async () => {
    expect(await findPatientIds(f.store, { identifier: 'B,2' })).toEqual(['p2']);
    expect(await findPatientIds(f.store, { identifier: 'urn:mrn|B,2' })).toEqual(['p2']);
    expect(await findPatientIds(f.store, { name: 'astor,' })).toEqual([]);
    expect(await findPatientIds(f.store, { name: 'a$b\\' })).toEqual([]);
    expect(await findPatientIds(f.store, { identifier: 'x'.repeat(5000) })).toEqual([]);
  });

  it('resolves an id or a unique identifier, and says why not', async () => {
    expect(await resolvePatient(f.store, 'p2')).toEqual({ id: 'p2' });
    expect(await resolvePatient(f.store, 'urn:mrn|A-1')).toEqual({ id: 'p1' });
    expect(await resolvePatient(f.store, 'gone')).toEqual({ error: 'No Patient with id "gone" (use an id or system|value).' });
    expect(await resolvePatient(f.store, 'no such/id')).toHaveProperty('error');
    expect(await resolvePatient(f.store, 'urn:mrn|nobody')).toEqual({ error: 'No Patient with identifier "urn:mrn|nobody".' });
    await f.store.transaction(async (tx) => void (await tx.put({ resourceType: 'Patient', id: 'p4', identifier: [{ system: 'urn:mrn', value: 'A-1' }] })));
    expect((await resolvePatient(f.store, 'urn:mrn|A-1')) as { error: string }).toEqual({ error: 'More than one Patient has identifier "urn:mrn|A-1"; use the resource id.' });
  });
});
