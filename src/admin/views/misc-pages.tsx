import type { PortalEdition } from '../../accounts/settings.js';
import { AUDIT_ACTIONS, type AuditEvent } from '../../audit/audit-log.js';
import { Alert, PostForm, SignInForm } from '../../web/components.js';
import { Layout } from '../../web/layout.js';
import { formatDate } from '../../web/render.js';
import { AdminPage } from './admin-layout.js';

export function AdminLoginPage(props: { csrf: string; error?: string; notice?: string; username?: string }) {
  return (
    <Layout title="Staff sign in" area="admin">
      <div class="card narrow">
        <h1>Practice staff sign in</h1>
        {props.notice && <Alert kind="success">{props.notice}</Alert>}
        {props.error && <Alert>{props.error}</Alert>}
        <SignInForm action="/admin/login" csrf={props.csrf} username={props.username} usernameLabel="Username" />
      </div>
    </Layout>
  );
}

export function SettingsPage(props: { csrf: string; who: string; edition: PortalEdition; practiceName: string; saved?: boolean }) {
  return (
    <AdminPage title="Settings" csrf={props.csrf} who={props.who} current="settings">
      <h1>Practice settings</h1>
      {props.saved && <Alert kind="success">Settings saved.</Alert>}
      <PostForm action="/admin/settings" csrf={props.csrf} class="card stack">
        <div class="field">
          <label for="practice-name">Practice name</label>
          <input id="practice-name" name="practiceName" type="text" value={props.practiceName} maxLength={120} required />
        </div>
        <fieldset>
          <legend>Portal edition</legend>
          <p class="hint">How staff enable patients for the portal. Both editions give patients My History and FHIR API Access.</p>
          <div>
            <input type="radio" id="edition-basic" name="edition" value="basic" checked={props.edition === 'basic'} />{' '}
            <label for="edition-basic">Basic — staff choose a username and hand over a one-time temporary password</label>
          </div>
          <div>
            <input type="radio" id="edition-premium" name="edition" value="premium" checked={props.edition === 'premium'} />{' '}
            <label for="edition-premium">Premium — the patient receives an e-mail invitation with a one-time activation link (72 hours)</label>
          </div>
        </fieldset>
        <button type="submit" class="button primary">
          Save settings
        </button>
      </PostForm>
    </AdminPage>
  );
}

export function AuditPage(props: { csrf: string; who: string; events: AuditEvent[]; more: boolean; filter: { patient: string; action: string }; nextHref?: string }) {
  return (
    <AdminPage title="Audit trail" csrf={props.csrf} who={props.who} current="audit">
      <h1>Audit trail</h1>
      <form method="get" action="/admin/audit" class="card filters" aria-label="Filter the audit trail">
        <div class="field">
          <label for="f-patient">Patient id</label>
          <input id="f-patient" name="patient" type="search" value={props.filter.patient} maxLength={64} />
        </div>
        <div class="field">
          <label for="f-action">Action</label>
          <select id="f-action" name="action">
            <option value="">Any</option>
            {AUDIT_ACTIONS.map((a) => (
              <option value={a} selected={a === props.filter.action}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button primary">
          Filter
        </button>
        <p class="hint">Calls apps made with patients' API credentials are listed under the action api.access.</p>
      </form>
      <section class="card" aria-label="Events">
        {props.events.length === 0 ? (
          <p class="empty">No events.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Patient</th>
                  <th scope="col">Address</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {props.events.map((e) => (
                  <tr>
                    <td>{formatDate(e.at)}</td>
                    <td>{e.action}</td>
                    <td>
                      {e.actorKind}
                      {e.actorId ? ` ${e.actorId.slice(0, 8)}` : ''}
                    </td>
                    <td>{e.patientId ? <a href={`/admin/patients/${encodeURIComponent(e.patientId)}`}>{e.patientId}</a> : ''}</td>
                    <td>{e.ip ?? ''}</td>
                    <td>
                      {Object.entries(e.detail)
                        .map(([k, v]) => `${k}: ${String(v)}`)
                        .join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div class="pager">
          <a href={`/admin/audit?patient=${encodeURIComponent(props.filter.patient)}&action=${encodeURIComponent(props.filter.action)}`}>Newest</a>
          {props.more && props.nextHref && <a href={props.nextHref}>Older events →</a>}
        </div>
      </section>
    </AdminPage>
  );
}
