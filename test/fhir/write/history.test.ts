import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../../helpers/app.js';
import { backends } from '../../helpers/db.js';
import { credentialFor } from '../../helpers/patients.js';
import { observation, staffClient } from './helpers.js';

type Entry = { resource?: { resourceType: string; id: string; meta: { versionId: string } }; request: { method: string; url: string }; fullUrl: string; response: { etag: string } };
const T0 = Date.parse('2025-03-01T00:00:00Z');

/** History at type and system level with _since and _count paging (https://hl7.org/fhir/R4/http.html#history). */
describe.each(await backends())('type and system _history on %s', (kind) => {
  let t: TestApp;
  let send: Awaited<ReturnType<typeof staffClient>>['send'];
  let clock = T0;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestApp(kind, { now: () => clock });
    ({ send } = await staffClient(t));
    const at = (minute: number) => (clock = T0 + minute * 60_000);
    at(1);
    await send('PUT', '/fhir/Patient/hp1', { resourceType: 'Patient', id: 'hp1', name: [{ family: 'One' }] });
    await send('PUT', '/fhir/Patient/hp2', { resourceType: 'Patient', id: 'hp2', name: [{ family: 'Two' }] });
    at(2);
    ids.a = (await send('POST', '/fhir/Observation', observation('hp1'))).json().id;
    at(3);
    ids.other = (await send('POST', '/fhir/Observation', observation('hp2'))).json().id;
    // --- _since = minute 10: everything below is "new" ---
    at(10);
    ids.c = (await send('POST', '/fhir/Observation', observation('hp1', { status: 'preliminary' }))).json().id;
    at(11);
    await send('PUT', `/fhir/Observation/${ids.a}`, { ...observation('hp1', { status: 'amended' }), id: ids.a });
    at(12);
    await send('DELETE', '/fhir/Patient/hp2');
  });
  afterAll(async () => t?.close());

  const since = new Date(T0 + 10 * 60_000).toISOString();
  const keys = (bundle: { entry?: Entry[] }) =>
    (bundle.entry ?? []).map((e) => `${e.request.method} ${e.fullUrl.replace('http://chartkey.test/fhir/', '')} ${e.response.etag}`);

  it('type level with _since: exactly the versions written since, newest first', async () => {
    const res = await send('GET', `/fhir/Observation/_history?_since=${since}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.resourceType).toBe('Bundle');
    expect(body.type).toBe('history');
    expect(keys(body)).toEqual([`PUT Observation/${ids.a} W/"2"`, `POST Observation/${ids.c} W/"1"`]);
    expect(body.entry[0].resource.status).toBe('amended');
  });

  it('system level with _since includes other types and deletions (no resource)', async () => {
    const body = (await send('GET', `/fhir/_history?_since=${encodeURIComponent(since)}`)).json();
    expect(keys(body)).toEqual(['DELETE Patient/hp2 W/"2"', `PUT Observation/${ids.a} W/"2"`, `POST Observation/${ids.c} W/"1"`]);
    expect(body.entry[0].resource).toBeUndefined();
  });

  it('without _since: every version; _count pages through them exactly once by next links', async () => {
    const all = keys((await send('GET', '/fhir/_history')).json());
    expect(all).toEqual([
      'DELETE Patient/hp2 W/"2"',
      `PUT Observation/${ids.a} W/"2"`,
      `POST Observation/${ids.c} W/"1"`,
      `POST Observation/${ids.other} W/"1"`,
      `POST Observation/${ids.a} W/"1"`,
      'POST Patient/hp2 W/"1"',
      'POST Patient/hp1 W/"1"',
    ]);
    const paged: string[] = [];
    let url: string | undefined = '/fhir/_history?_count=2';
    while (url) {
      const page: { entry?: Entry[]; link: Array<{ relation: string; url: string }> } = (await send('GET', url)).json();
      expect((page.entry ?? []).length).toBeLessThanOrEqual(2);
      paged.push(...keys(page));
      url = page.link.find((l) => l.relation === 'next')?.url.replace('http://chartkey.test', '');
    }
    expect(paged).toEqual(all);
  });

  it('a patient credential sees only its own record in history', async () => {
    const c = await credentialFor(t.services, 'hp1');
    const auth = { authorization: basic(c.key, c.secret) };
    const system = (await t.app.inject({ method: 'GET', url: '/fhir/_history', headers: auth })).json();
    expect(keys(system)).toEqual([`PUT Observation/${ids.a} W/"2"`, `POST Observation/${ids.c} W/"1"`, `POST Observation/${ids.a} W/"1"`, 'POST Patient/hp1 W/"1"']);
    const type = (await t.app.inject({ method: 'GET', url: `/fhir/Observation/_history?_since=${since}`, headers: auth })).json();
    expect(keys(type)).toEqual([`PUT Observation/${ids.a} W/"2"`, `POST Observation/${ids.c} W/"1"`]);
    const patients = (await t.app.inject({ method: 'GET', url: '/fhir/Patient/_history', headers: auth })).json();
    expect(keys(patients)).toEqual(['POST Patient/hp1 W/"1"']);
  });

  it('refuses a malformed _since, _count or _page with 400', async () => {
    for (const q of ['_since=yesterday', '_since=2025-02-30T99:00:00Z', '_count=0', '_count=abc', '_page=%00', '_page=WzEsMl0']) {
      const res = await send('GET', `/fhir/_history?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().resourceType).toBe('OperationOutcome');
    }
  });
});
