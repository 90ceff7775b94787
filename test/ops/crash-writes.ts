/**
 * The writes test/ops/crash-server.test.ts sends to a server it then kills: FHIR
 * transactions, PUTs and creates through the write API (docs/integration.md), as staff
 * over HTTP Basic. Each writer sends one request at a time and records what it sent
 * before sending and what the server acknowledged (a 2xx) after; when the server dies
 * its fetch fails and the writer stops.
 */

/** identifier.system of everything written here; the values name the request that wrote it. */
export const SYSTEM = 'urn:chartkey:crash-test';
const LOINC = 'http://loinc.org';

/** A transaction Bundle: a new Patient and two Observations about it, all POST entries. */
export interface TxRecord {
  key: string;
  /** Set when the server answered 200: the ids it assigned (patient, then the two observations). */
  ack?: { patient: string; observations: string[] };
}

/** Successive PUTs of one Observation id, each with valueQuantity.value = its sequence number. */
export interface PutRecord {
  id: string;
  /** The value of the last PUT sent (0: none yet). */
  sent: number;
  /** value → version, for every acknowledged PUT. */
  acked: Map<number, number>;
}

/** POST [type] creates: their keys (identifier values), and the ids of the acknowledged ones. */
export interface CreateRecord {
  sent: string[];
  acked: Map<string, string>;
}

export interface Writes {
  tx: TxRecord[];
  puts: PutRecord[];
  creates: CreateRecord;
}

export function emptyWrites(putWriters: number): Writes {
  return {
    tx: [],
    puts: Array.from({ length: putWriters }, (_, i) => ({ id: `crash-put-${i}`, sent: 0, acked: new Map() })),
    creates: { sent: [], acked: new Map() },
  };
}

/** Acknowledged writes of each kind (to decide when enough are in). */
export function ackCounts(w: Writes) {
  return {
    tx: w.tx.filter((t) => t.ack).length,
    put: w.puts.reduce((n, p) => n + p.acked.size, 0),
    create: w.creates.acked.size,
  };
}

export const observation = (subject: string, code: string, identifier: string, value: number) => ({
  resourceType: 'Observation',
  status: 'final',
  identifier: [{ system: SYSTEM, value: identifier }],
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: subject },
  effectiveDateTime: '2026-01-01T00:00:00Z',
  valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
});

interface Target {
  base: string;
  auth: string;
  /** True once the writers should stop (the server was killed). */
  stopped(): boolean;
}

/** fetch that resolves undefined when the server is gone (connection refused or reset). */
async function send(t: Target, method: string, path: string, body: unknown): Promise<Response | undefined> {
  try {
    return await fetch(`${t.base}${path}`, {
      method,
      headers: { authorization: t.auth, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(body),
    });
  } catch {
    return undefined;
  }
}

/** A non-2xx answer from a live server is a defect of the test or the server: stop loudly. */
async function refuse(res: Response, what: string): Promise<never> {
  throw new Error(`${what}: ${res.status} ${(await res.text()).slice(0, 500)}`);
}

const idOf = (location: string) => location.split('/')[1];

/**
 * A 503 (the database did not answer within its bound on a loaded machine: SPEC
 * Operations) acknowledges nothing; the write may or may not have been stored, which
 * the checks allow for any write not acknowledged.
 */
async function unavailable(res: Response): Promise<boolean> {
  if (res.status !== 503) return false;
  await res.arrayBuffer().catch(() => undefined);
  return true;
}

export async function transactionWriter(t: Target, w: Writes, name: string): Promise<void> {
  for (let n = 0; !t.stopped(); n++) {
    const rec: TxRecord = { key: `${name}-${n}` };
    w.tx.push(rec);
    const patient = `urn:uuid:${crypto.randomUUID()}`;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: patient, resource: { resourceType: 'Patient', identifier: [{ system: SYSTEM, value: rec.key }], name: [{ family: 'Crash', given: [rec.key] }] }, request: { method: 'POST', url: 'Patient' } },
        ...[0, 1].map((k) => ({ resource: observation(patient, '29463-7', `${rec.key}-${k}`, n + k), request: { method: 'POST', url: 'Observation' } })),
      ],
    };
    const res = await send(t, 'POST', '/fhir', bundle);
    if (!res) return;
    if (await unavailable(res)) continue;
    if (res.status !== 200) await refuse(res, `transaction ${rec.key}`);
    const json = (await res.json().catch(() => undefined)) as { entry: Array<{ response: { location: string } }> } | undefined;
    if (!json) return; // the body was cut off by the kill: not acknowledged
    const [p, ...obs] = json.entry.map((e) => idOf(e.response.location));
    rec.ack = { patient: p, observations: obs };
  }
}

export async function putWriter(t: Target, rec: PutRecord, subject: string): Promise<void> {
  while (!t.stopped()) {
    const value = ++rec.sent;
    const res = await send(t, 'PUT', `/fhir/Observation/${rec.id}`, { ...observation(subject, '8867-4', rec.id, value), id: rec.id });
    if (!res) return;
    if (await unavailable(res)) continue;
    if (res.status !== 200 && res.status !== 201) await refuse(res, `PUT ${rec.id} (${value})`);
    const version = /^W\/"(\d+)"$/.exec(res.headers.get('etag') ?? '')?.[1];
    if (!version) throw new Error(`PUT ${rec.id}: no ETag`);
    await res.arrayBuffer().catch(() => undefined);
    rec.acked.set(value, Number(version));
  }
}

export async function createWriter(t: Target, rec: CreateRecord, name: string, subject: string): Promise<void> {
  for (let n = 0; !t.stopped(); n++) {
    const key = `${name}-${n}`;
    rec.sent.push(key);
    const res = await send(t, 'POST', '/fhir/Observation', observation(subject, '2708-6', key, n));
    if (!res) return;
    if (await unavailable(res)) continue;
    if (res.status !== 201) await refuse(res, `create ${key}`);
    const location = /\/fhir\/Observation\/([^/]+)\/_history\/1$/.exec(res.headers.get('location') ?? '')?.[1];
    if (!location) throw new Error(`create ${key}: location ${res.headers.get('location')}`);
    await res.arrayBuffer().catch(() => undefined);
    rec.acked.set(key, location);
  }
}
