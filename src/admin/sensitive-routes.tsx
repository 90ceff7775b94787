import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { ALL } from '../fhir/scope.js';
import { LABEL_NAMES, SENSITIVE_LABELS } from '../fhir/sensitivity.js';
import type { Services } from '../services.js';
import { Alert, PostForm } from '../web/components.js';
import { sendPage } from '../web/render.js';
import { field, query } from '../web/session.js';
import { requireStaff } from './current.js';
import { markSensitive, patientRecords, type LabelledRecord } from './mark-sensitive.js';
import { AdminPage } from './views/admin-layout.js';

const CODES = Object.values(SENSITIVE_LABELS).flat();
const MESSAGES: Record<string, string> = {
  marked: 'The record is now labelled sensitive (a new version was stored).',
  already: 'The record already carries that label.',
  not_found: 'No such record in this patient’s chart.',
  bad_label: 'Choose one of the listed labels.',
};

/** Staff label a patient's records sensitive (SPEC "Patient controls"; docs/security.md). */
export async function sensitiveRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services } = opts;

  app.get<{ Params: { id: string } }>('/:id/sensitive', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    if (!(await services.store.read(ALL, 'Patient', req.params.id))) return reply.callNotFound();
    const after = pageStart(query(req, 'after'));
    const page = await patientRecords(services.store, req.params.id, { after });
    const done = query(req, 'done');
    return sendPage(
      reply,
      <SensitivePage csrf={reply.generateCsrf()} who={staff.username} patientId={req.params.id} records={page.records} after={after} next={page.next} message={MESSAGES[done]} />,
    );
  });

  app.post<{ Params: { id: string } }>('/:id/sensitive', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const result = await markSensitive(
      { store: services.store, audit: services.audit },
      { patientId: req.params.id, type: field(req.body, 'type'), id: field(req.body, 'id'), code: field(req.body, 'label'), staffId: staff.id, ip: req.ip },
    );
    // Back to the page the form was on.
    const after = pageStart(field(req.body, 'after'));
    const page = after > 0 ? `&after=${after}` : '';
    return reply.redirect(`/admin/patients/${encodeURIComponent(req.params.id)}/sensitive?done=${result}${page}`, 303);
  });
}

/** Where a page of records starts: a positive integer, else the first page (0). */
function pageStart(value: string): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function SensitivePage(props: { csrf: string; who: string; patientId: string; records: LabelledRecord[]; after: number; next?: number; message?: string }) {
  const action = `/admin/patients/${encodeURIComponent(props.patientId)}/sensitive`;
  return (
    <AdminPage title="Sensitive records" csrf={props.csrf} who={props.who} current="patients">
      <p>
        <a href={`/admin/patients/${encodeURIComponent(props.patientId)}`}>← Patient</a>
      </p>
      <h1>Sensitive records</h1>
      {props.message && <Alert kind="info">{props.message}</Alert>}
      <p class="muted">
        A record labelled sensitive is shared with an app only when the patient chose “Include sensitive information” for its credentials; a psychotherapy
        note is never shared through the API. The patient always sees their records in My History, tagged. Labelling stores a new version and is audited.
      </p>
      <div class="table-wrap card">
        <table>
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Labels</th>
              <th scope="col">Add a label</th>
            </tr>
          </thead>
          <tbody>
            {props.records.map((r) => (
              <tr data-testid="sensitive-record">
                <td>
                  {r.title} <code class="muted">{`${r.type}/${r.id}`}</code>
                </td>
                <td>{r.labels.map((l) => LABEL_NAMES[l] ?? l).join(', ') || '—'}</td>
                <td>
                  <PostForm action={action} csrf={props.csrf} class="inline">
                    <input type="hidden" name="type" value={r.type} />
                    <input type="hidden" name="id" value={r.id} />
                    {props.after > 0 && <input type="hidden" name="after" value={String(props.after)} />}
                    <select name="label" aria-label={`Label for ${r.title}`}>
                      {CODES.map((c) => (
                        <option value={c}>{LABEL_NAMES[c] ?? c}</option>
                      ))}
                    </select>{' '}
                    <button type="submit" class="button small" data-testid="mark-sensitive">
                      Mark sensitive
                    </button>
                  </PostForm>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="pager">
        <a href={action}>First records</a>
        {props.next !== undefined && (
          <a href={`${action}?after=${props.next}`} data-testid="sensitive-next">
            More records →
          </a>
        )}
      </div>
    </AdminPage>
  );
}
