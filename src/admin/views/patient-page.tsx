import type { PortalAccount } from '../../accounts/portal-accounts.js';
import type { PortalEdition } from '../../accounts/settings.js';
import type { ApiAccess } from '../../audit/api-access-log.js';
import type { ApiCredential } from '../../auth/credentials.js';
import { Alert, ConfirmDialog, Field, PostForm, TrashIcon } from '../../web/components.js';
import { formatDate } from '../../web/render.js';
import { AccessTable } from '../../portal/views/api-access.js';
import { ConnectedAppList } from '../../portal/views/connected-apps.js';
import type { Grant } from '../../oauth/grants.js';
import type { PatientSummary } from '../patient-view.js';
import { AdminPage } from './admin-layout.js';

export interface PatientPageProps {
  csrf: string;
  who: string;
  patient: PatientSummary;
  account?: PortalAccount;
  edition: PortalEdition;
  credentials: ApiCredential[];
  access: ApiAccess[];
  /** The patient's live SMART grants (connected apps). */
  apps?: Grant[];
  error?: string;
  notice?: string;
  toast?: string;
}

const STATUS: Record<string, [string, string]> = {
  active: ['Enabled', 'ok'],
  invited: ['Invitation sent', 'warn'],
  disabled: ['Disabled', 'off'],
};

export function PatientPage(props: PatientPageProps) {
  const { patient: p, account } = props;
  const base = `/admin/patients/${encodeURIComponent(p.id)}`;
  const [label, tone] = account ? STATUS[account.status] : ['Not enabled', ''];
  const names = new Map([...props.credentials.map((c) => [c.id, c.name] as const), ...(props.apps ?? []).map((g) => [g.id, g.clientName] as const)]);
  return (
    <AdminPage title={p.name} csrf={props.csrf} who={props.who} current="patients" toast={props.toast}>
      <p>
        <a href="/admin/patients">← Patients</a>
      </p>
      <h1>{p.name}</h1>
      <p>
        <a href={`${base}/sensitive`} data-testid="sensitive-records">
          Sensitive records
        </a>
      </p>
      {props.error && <Alert>{props.error}</Alert>}
      {props.notice && <Alert kind="success">{props.notice}</Alert>}
      <div class="grid">
        <section class="card" aria-labelledby="demo-title">
          <h2 id="demo-title">Demographics</h2>
          <dl class="facts">
            <dt>Resource id</dt>
            <dd>
              <code>{p.id}</code>
            </dd>
            <dt>Birth date</dt>
            <dd>{p.birthDate ?? '—'}</dd>
            <dt>Gender</dt>
            <dd>{p.gender ?? '—'}</dd>
            <dt>Identifiers</dt>
            <dd>{p.identifiers.join('; ') || '—'}</dd>
            <dt>Contact</dt>
            <dd>{p.telecom.join(', ') || '—'}</dd>
            <dt>Address</dt>
            <dd>{p.address ?? '—'}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="portal-title">
          <h2 id="portal-title">Portal access</h2>
          <p>
            Status: <span class={`badge ${tone}`}>{label}</span>
            {account?.username && (
              <>
                {' '}
                · username <strong>{account.username}</strong>
              </>
            )}
            {account && ` · ${account.edition === 'premium' ? 'Premium' : 'Basic'}`}
          </p>
          {props.edition === 'basic' ? (
            <PostForm action={`${base}/enable`} csrf={props.csrf} class="stack" label="Enable portal access (Basic)">
              <input type="hidden" name="edition" value="basic" />
              <Field id="enable-username" name="username" label="Username" value={account?.username ?? ''} required maxLength={100} hint="The patient signs in with this username and a one-time temporary password." />
              <button type="submit" class="button primary">
                {account?.status === 'active' ? 'Reset temporary password' : 'Enable portal access'}
              </button>
            </PostForm>
          ) : (
            <PostForm action={`${base}/enable`} csrf={props.csrf} class="stack" label="Invite to the portal (Premium)">
              <input type="hidden" name="edition" value="premium" />
              <Field id="enable-email" name="email" type="email" label="Patient's e-mail" value={account?.email ?? ''} required maxLength={200} hint="The patient receives a one-time activation link, valid for 72 hours." />
              <button type="submit" class="button primary">
                {account ? 'Send a new invitation' : 'Send invitation'}
              </button>
            </PostForm>
          )}
          {account && account.status !== 'disabled' && (
            <p>
              <a
                class="button danger"
                href={`${base}/disable`}
                data-confirm="Disable portal access? The patient can no longer sign in, and all of their API credentials stop working at once."
                data-confirm-title="Disable portal access?"
                data-confirm-label="Disable"
              >
                Disable portal access
              </a>
            </p>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="cred-title">
        <h2 id="cred-title">API credentials</h2>
        {props.credentials.length === 0 ? (
          <p class="empty">No API credentials.</p>
        ) : (
          <ul class="credential-list">
            {props.credentials.map((c) => (
              <li class="credential-row">
                <div class="main">
                  <div class="name">{c.name}</div>
                  <div class="meta">
                    Key <code>{c.key}</code> · created {formatDate(c.createdAt)} · last used {formatDate(c.lastUsedAt)}
                    {c.suspended && <span class="badge off"> suspended</span>}
                  </div>
                </div>
                <a
                  class="icon-button trash"
                  href={`${base}/credentials/${encodeURIComponent(c.id)}/revoke`}
                  data-confirm={`Revoke the credentials “${c.name}”? Apps using them lose access immediately.`}
                  data-confirm-title="Revoke credentials?"
                  data-confirm-label="Revoke"
                  aria-label={`Revoke credentials ${c.name}`}
                  title="Revoke"
                >
                  <TrashIcon />
                </a>
              </li>
            ))}
          </ul>
        )}
        {props.apps && (
          <>
            <h3 id="connected-apps-title">Connected apps</h3>
            {props.apps.length === 0 ? (
              <p class="empty">No connected apps.</p>
            ) : (
              <ConnectedAppList apps={props.apps} audience="staff" revokeHref={(g) => `${base}/apps/${encodeURIComponent(g.id)}/revoke`} />
            )}
          </>
        )}
        <h3>Recent API use</h3>
        {props.access.length === 0 ? <p class="empty">No API use recorded.</p> : <AccessTable rows={props.access} names={names} />}
        <p>
          <a href={`/admin/audit?patient=${encodeURIComponent(p.id)}`}>Audit trail for this patient</a>
        </p>
      </section>
      <ConfirmDialog csrf={props.csrf} />
    </AdminPage>
  );
}

/** Basic enablement result: the temporary password, shown once (no-store). */
export function TemporaryPasswordPage(props: { csrf: string; who: string; patient: PatientSummary; username: string; password: string }) {
  return (
    <AdminPage title="Portal access enabled" csrf={props.csrf} who={props.who} current="patients">
      <div class="card narrow">
        <h1>Portal access enabled</h1>
        <p>
          Give these to {props.patient.name}. The temporary password works once: the patient must choose a new password at first sign-in. It is not shown again.
        </p>
        <dl class="facts">
          <dt>Username</dt>
          <dd>
            <code data-testid="temp-username">{props.username}</code>
          </dd>
          <dt>Temporary password</dt>
          <dd>
            <code data-testid="temp-password">{props.password}</code>
          </dd>
        </dl>
        <div class="actions">
          <a class="button primary" href={`/admin/patients/${encodeURIComponent(props.patient.id)}`}>
            Done
          </a>
        </div>
      </div>
    </AdminPage>
  );
}

/** The no-JavaScript confirmation page for disable/revoke. */
export function ConfirmPage(props: { csrf: string; who: string; title: string; message: string; action: string; label: string; back: string }) {
  return (
    <AdminPage title={props.title} csrf={props.csrf} who={props.who} current="patients">
      <div class="card narrow">
        <h1>{props.title}</h1>
        <p>{props.message}</p>
        <PostForm action={props.action} csrf={props.csrf}>
          <div class="actions">
            <a class="button" href={props.back}>
              Cancel
            </a>
            <button type="submit" class="button danger" data-testid="confirm-delete">
              {props.label}
            </button>
          </div>
        </PostForm>
      </div>
    </AdminPage>
  );
}
