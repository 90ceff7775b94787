import type { Db } from '../db/db.js';
import { everythingQueries, type PatientScope } from './scope.js';

const PAGE = 100;

/**
 * Patient/$everything as a stream of Bundle text: the patient's compartment in pages, then
 * the shared resources it references, then the Provenance of its resources. Memory stays flat however large the record is.
 * https://hl7.org/fhir/R4/patient-operation-everything.html
 */
export async function* everythingBundle(db: Db, scope: PatientScope, baseUrl: string, selfUrl: string, staff = false): AsyncGenerator<string> {
  yield `{"resourceType":"Bundle","type":"searchset","link":[{"relation":"self","url":${JSON.stringify(selfUrl)}}],"entry":[`;
  let first = true;
  const entry = (row: { type: string; id: string; content: string }) => {
    const text = `${first ? '' : ','}{"fullUrl":${JSON.stringify(`${baseUrl}/${row.type}/${row.id}`)},"resource":${row.content},"search":{"mode":"match"}}`;
    first = false;
    return text;
  };
  let after = 0;
  for (;;) {
    const q = everythingQueries(scope, after, PAGE, db.dialect, staff).compartment;
    const rows = await db.all<{ seq: number; type: string; id: string; content: string }>(q.sql, q.params);
    if (rows.length > 0) yield rows.map(entry).join('');
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].seq;
  }
  const { shared, provenance } = everythingQueries(scope, 0, 0, db.dialect, staff);
  for (const q of [shared, provenance]) {
    const rows = await db.all<{ seq: number; type: string; id: string; content: string }>(q.sql, q.params);
    for (let i = 0; i < rows.length; i += PAGE) yield rows.slice(i, i + PAGE).map(entry).join('');
  }
  yield ']}';
}
