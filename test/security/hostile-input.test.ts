import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * SPEC "FHIR API behaviour": 5xx never for bad input, every error an OperationOutcome and
 * never a stack trace. A loop of hostile values over every parameter kind, control
 * parameter and path, for a patient credential (the scope predicate is in every query).
 */
const NASTY = [
  "'", '"', "';--", "' OR '1'='1", '%00', '\u0000', 'a\u0000b', '\\', '\\\\', '%', '_', '%25', '*', '$', '|', '||', '|||', ',', ',,,,', ':',
  '9'.repeat(400), '-1e309', '1e309', 'NaN', 'Infinity', '-0', '0x10', '1.', '.5', 'ge', 'gt9999-99-99', 'eq2020-13-45', 'ap', 'sa1e400',
  '2020-02-30T25:61:61Z', '1970', '-271821-04-20', '+275760-09-13', 'le0001', 'ne', 'Patient/', '/', 'Patient/../Patient/x', 'http://', 'urn:uuid:',
  '\u202e\u0301', '\ufffe', '😀'.repeat(50), 'ä'.repeat(1000), ' ', '\t\n', '<script>alert(1)</script>', '${7*7}', '{{7*7}}', '__proto__', 'constructor',
  Array.from({ length: 100 }, (_, i) => `v${i}`).join(','), 'x'.repeat(4096), 'x'.repeat(4097),
];

const PARAMS: Array<[string, string]> = [
  ['Observation', 'code'], ['Observation', 'code:text'], ['Observation', 'code:not'], ['Observation', 'code:in'], ['Observation', 'value-quantity'],
  ['Observation', 'date'], ['Observation', 'subject'], ['Observation', 'subject:Patient'], ['Observation', 'subject:Patient.name'],
  ['Observation', 'subject.name'], ['Observation', 'patient._id'], ['Observation', 'subject:missing'], ['Observation', '_id'], ['Observation', '_lastUpdated'],
  ['Observation', '_count'], ['Observation', '_sort'], ['Observation', '_include'], ['Observation', '_revinclude'], ['Observation', '_summary'],
  ['Observation', '_elements'], ['Observation', '_total'], ['Observation', '_cursor'], ['Observation', '_format'], ['Observation', '_has:Observation:patient:code'],
  ['Patient', 'name'], ['Patient', 'name:exact'], ['Patient', 'name:contains'], ['Patient', 'birthdate'], ['Patient', 'identifier'], ['Patient', 'gender'],
  ['Patient', 'address-postalcode'], ['Condition', 'onset-date'], ['MedicationRequest', 'medication'], ['DocumentReference', 'period'],
  ['Encounter', 'class'], ['Immunization', 'date'], ['Observation', 'component-value-quantity'], ['Location', 'address'], ['Observation', 'category:below'],
];

describe.each(await backends())('hostile input never causes a 5xx on %s', (kind) => {
  let t: TestApp;
  let auth: string;
  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Shaw', given: ['Ann'] }], birthDate: '1970-01-02' });
      await tx.put({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 1, unit: 'kg' } });
    });
    const c = await credentialFor(t.services, 'p1');
    auth = basic(c.key, c.secret);
  });
  afterAll(async () => t?.close());

  const check = async (method: 'GET' | 'POST', url: string, extra: { payload?: string; headers?: Record<string, string> } = {}) => {
    const started = performance.now();
    const res = await t.app.inject({ method, url, payload: extra.payload, headers: { authorization: auth, ...extra.headers } });
    const ms = performance.now() - started;
    if (ms > 300) console.log(`SLOW ${Math.round(ms)}ms ${method} ${url.slice(0, 120)}`);
    expect(res.statusCode, `${method} ${url.slice(0, 200)}`).toBeLessThan(500);
    expect(res.body, url.slice(0, 200)).not.toMatch(/at .*\.(ts|js):\d+|SQLITE_|syntax error|node_modules/);
    if (res.statusCode >= 400) expect(res.json().resourceType, url.slice(0, 200)).toBe('OperationOutcome');
    return res;
  };

  it('every parameter with every hostile value', async () => {
    for (const [type, param] of PARAMS) {
      for (const value of NASTY) await check('GET', `/fhir/${type}?${encodeURIComponent(param)}=${encodeURIComponent(value)}`);
      await check('GET', `/fhir/${type}?${encodeURIComponent(param)}=%ED%A0%80%C0%AF`);
    }
  }, 300_000);

  it('hostile parameter names, repeats and the maximum number of parameters and values', async () => {
    for (const name of NASTY.slice(0, 40)) await check('GET', `/fhir/Observation?${encodeURIComponent(name)}=1`);
    const hundred = Array.from({ length: 100 }, (_, i) => `v${i}`).join(',');
    for (const param of ['code', 'value-quantity', 'date', 'subject', 'subject:Patient.name', '_id', 'category', 'combo-code-value-quantity']) {
      await check('GET', `/fhir/Observation?${Array.from({ length: 100 }, () => `${param}=${encodeURIComponent(hundred)}`).join('&')}`);
      await check('GET', `/fhir/Observation?${Array.from({ length: 100 }, () => `${param}=${encodeURIComponent(`ge${'1'.repeat(30)},le2020`)}`).join('&')}`);
    }
    await check('GET', `/fhir/Observation?${Array.from({ length: 101 }, (_, i) => `code=${i}`).join('&')}`);
    await check('GET', `/fhir/Observation?_sort=${Array.from({ length: 100 }, () => 'date,-code,_id').join(',')}`);
    await check('GET', `/fhir/Observation?_include=${encodeURIComponent('*:iterate')}&_revinclude=${encodeURIComponent('*:*')}`);
    await check('GET', `/fhir/Observation?${Array.from({ length: 100 }, () => '_include:iterate=*').join('&')}`);
    await check('POST', '/fhir/Observation/_search', { payload: `code=${'x,'.repeat(5000)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }, 300_000);

  it('hostile paths, ids, versions and operations', async () => {
    for (const v of ['%2e%2e', 'a'.repeat(65), 'a'.repeat(300), '%00', '%FF', '%', "'", 'p1%00', 'p1;', 'p1%20']) {
      for (const path of [`/fhir/Patient/${v}`, `/fhir/Patient/p1/_history/${v}`, `/fhir/Patient/${v}/_history`, `/fhir/Patient/${v}/$everything`, `/fhir/Observation/${v}/x`]) {
        await check('GET', path);
      }
    }
    for (const vid of ['0', '-1', '1.5', '1e3', '99999999999999999999', '١']) await check('GET', `/fhir/Patient/p1/_history/${vid}`);
  });

  it('bodies: wrong content types, malformed forms, oversized bodies', async () => {
    await check('POST', '/fhir/Observation/_search', { payload: '{"code":"x"}', headers: { 'content-type': 'application/json' } });
    await check('POST', '/fhir/Observation/_search', { payload: '%%%=%%%&&&==', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const big = await check('POST', '/fhir/Observation/_search', { payload: `code=${'x'.repeat(70 * 1024)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(big.statusCode).toBe(413);
    const json = await check('POST', '/fhir/Observation/_search', { payload: '{', headers: { 'content-type': 'application/json' } });
    expect(json.statusCode).toBe(415);
    for (const accept of ['application/xml', 'text/html', '*/*;q=0', ',,,', 'application/fhir+json;;;']) await check('GET', '/fhir/Patient/p1', { headers: { accept } });
    for (const prefer of ['handling=strict', 'handling=lenient', 'x'.repeat(5000)]) await check('GET', '/fhir/Observation?bogus=1', { headers: { prefer } });
  });
});
