import type { PortalEdition } from '../../accounts/settings.js';
import { MAX_DAYS, MIN_CAP_DAYS, type CredentialLimitsForm } from '../credential-limits.js';
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

export function SettingsPage(props: {
  csrf: string;
  who: string;
  edition: PortalEdition;
  practiceName: string;
  saved?: boolean;
  limits: CredentialLimitsForm;
  limitErrors?: string[];
}) {
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
      <CredentialLimitsSection csrf={props.csrf} limits={props.limits} errors={props.limitErrors} />
    </AdminPage>
  );
}

/** Limits on patients' API credentials (Patient controls): a cap on expiry, idle expiry, activity retention. */
function CredentialLimitsSection(props: { csrf: string; limits: CredentialLimitsForm; errors?: string[] }) {
  const errors = props.errors ?? [];
  const number = (id: string, name: keyof CredentialLimitsForm, label: string, hint: string, min: number, required = false) => (
    <div class="field">
      <label for={id}>{label}</label>
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
      <input
        id={id}
        name={name}
        type="number"
        inputMode="numeric"
        min={min}
        max={MAX_DAYS}
        step={1}
        value={props.limits[name]}
        required={required}
        data-testid={id}
        aria-describedby={`${id}-hint`}
        aria-invalid={errors.length > 0 ? 'true' : undefined}
      />
    </div>
  );
  return (
    <section class="card stack" aria-labelledby="credential-limits-heading" data-testid="credential-limits">
      <h2 id="credential-limits-heading">Patients' API credentials</h2>
      <p class="hint">
        Patients choose when the credentials they generate stop working (30 days, 90 days, 1 year or never). These limits apply to every patient; changes are
        recorded in the audit trail.
      </p>
      {errors.length > 0 && (
        <Alert>
          <ul data-testid="settings-errors">
            {errors.map((e) => (
              <li>{e}</li>
            ))}
          </ul>
        </Alert>
      )}
      <PostForm action="/admin/settings/credentials" csrf={props.csrf} class="stack" label="Limits on patients' API credentials">
        {number('settings-max-days', 'maxDays', 'Longest credential lifetime (days)', `Leave empty to let patients choose "never". At least ${MIN_CAP_DAYS} days; choices longer than this are not offered, and existing credentials keep their expiry.`, MIN_CAP_DAYS)}
        {number('settings-idle-days', 'idleDays', 'Expire credentials unused for (days)', 'Leave empty to never expire credentials for lack of use. Checked every 10 minutes.', 1)}
        {number('settings-retention-days', 'retentionDays', 'Keep API activity for (days)', 'How long each call made with a credential or app stays on the patient’s activity page. Six years (2196 days) by default, HIPAA’s retention horizon.', 1, true)}
        <button type="submit" class="button primary" data-testid="settings-credentials-submit">
          Save credential limits
        </button>
      </PostForm>
    </section>
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
