import type { ClientType, OAuthClient } from '../../oauth/clients.js';
import { Alert, ConfirmDialog, CopyIcon, Field, PostForm, TrashIcon } from '../../web/components.js';
import { formatDate } from '../../web/render.js';
import { AdminPage } from './admin-layout.js';

/** What the register form was sent (kept on an error so nothing has to be typed again). */
export interface AppForm {
  name: string;
  type: ClientType;
  redirectUris: string;
  jwksUrl: string;
  jwks: string;
  scope: string;
}

export const EMPTY_APP_FORM: AppForm = { name: '', type: 'confidential', redirectUris: '', jwksUrl: '', jwks: '', scope: '' };

export const TYPE_LABELS: Record<ClientType, string> = {
  public: 'Public (browser or phone app, PKCE, no secret)',
  confidential: 'Confidential (server app with a client secret)',
  asymmetric: 'Confidential asymmetric (private_key_jwt with a JWKS)',
  system: 'Backend system (SMART Backend Services, no patient)',
};

const SHORT_TYPE: Record<ClientType, string> = { public: 'Public', confidential: 'Confidential', asymmetric: 'Asymmetric', system: 'System' };

/**
 * /admin/apps: the apps the practice registered and the register form (SPEC "Connected
 * apps"). Names, redirect URIs and scopes are whatever was typed: rendered escaped. No
 * secret is ever on this page (the registry keeps only a hash).
 */
export function AppsPage(props: { csrf: string; who: string; apps: OAuthClient[]; form: AppForm; error?: string; toast?: string; status?: number }) {
  return (
    <AdminPage title="Apps" csrf={props.csrf} who={props.who} current="apps" toast={props.toast}>
      <h1>Apps</h1>
      <p class="muted">
        Apps registered here can ask patients for access to their record through SMART App Launch (the patient signs in and consents), or — backend systems —
        read the practice's data with SMART Backend Services. Removing an app revokes every access patients gave it.
      </p>
      <section class="card" aria-labelledby="apps-title">
        <h2 id="apps-title">Registered apps</h2>
        {props.apps.length === 0 ? (
          <p class="empty">No apps are registered.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Client id</th>
                  <th scope="col">Redirect URIs or scope</th>
                  <th scope="col">Registered</th>
                  <th scope="col">Remove</th>
                </tr>
              </thead>
              <tbody>
                {props.apps.map((a) => (
                  <tr data-testid="app-row">
                    <td data-testid="app-name">{a.name}</td>
                    <td>{SHORT_TYPE[a.type]}</td>
                    <td>
                      <code>{a.clientId}</code>
                    </td>
                    <td>
                      {a.type === 'system' ? (
                        <code>{a.scope}</code>
                      ) : (
                        a.redirectUris.map((u) => (
                          <div>
                            <code>{u}</code>
                          </div>
                        ))
                      )}
                      {a.jwksUrl && <div class="muted">JWKS: {a.jwksUrl}</div>}
                      {a.jwks && <div class="muted">JWKS: {a.jwks.keys.length} key{a.jwks.keys.length === 1 ? '' : 's'} registered</div>}
                    </td>
                    <td>{formatDate(a.createdAt)}</td>
                    <td>
                      <a
                        class="icon-button trash"
                        href={`/admin/apps/${encodeURIComponent(a.clientId)}/remove`}
                        data-testid="remove-app"
                        data-confirm={removeMessage(a)}
                        data-confirm-title="Remove app?"
                        data-confirm-label="Remove"
                        aria-label={`Remove the app ${a.name}`}
                        title="Remove"
                      >
                        <TrashIcon />
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <RegisterForm csrf={props.csrf} form={props.form} error={props.error} />
      <ConfirmDialog csrf={props.csrf} />
    </AdminPage>
  );
}

export function removeMessage(a: Pick<OAuthClient, 'name'>): string {
  return `Remove the app “${a.name}”? Every patient's access through it ends immediately, and it can no longer connect.`;
}

function RegisterForm(props: { csrf: string; form: AppForm; error?: string }) {
  const f = props.form;
  return (
    <section class="card" aria-labelledby="register-title" id="register">
      <h2 id="register-title">Register an app</h2>
      {props.error && <Alert>{props.error}</Alert>}
      <PostForm action="/admin/apps" csrf={props.csrf} class="stack" label="Register an app">
        <Field id="app-name" name="name" label="Name" testId="app-name-input" value={f.name} required maxLength={80} hint="Patients see this name on the consent page." />
        <div class="field">
          <label for="app-type">Type</label>
          <select id="app-type" name="type" data-testid="app-type">
            {(Object.keys(TYPE_LABELS) as ClientType[]).map((t) => (
              <option value={t} selected={f.type === t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </div>
        <TextArea id="app-redirect-uris" name="redirectUris" label="Redirect URIs" value={f.redirectUris} hint="One per line, exactly as the app sends them (https, or http only on localhost). Not for backend systems." />
        <Field id="app-jwks-url" name="jwksUrl" label="JWKS URL" testId="app-jwks-url" value={f.jwksUrl} maxLength={2000} hint="Asymmetric and backend system apps: where their public keys are published. Or paste the JWKS below." />
        <TextArea id="app-jwks" name="jwks" label="JWKS (JSON)" value={f.jwks} hint='Asymmetric and backend system apps: {"keys": [ … ]} with public RSA or EC keys only.' />
        <Field id="app-scope" name="scope" label="Scope (backend systems)" testId="app-scope" value={f.scope} maxLength={2000} hint="What a backend system may read or write, e.g. system/*.rs (the default) or system/*.rs system/Observation.cruds." />
        <div class="actions">
          <button type="submit" class="button primary" data-testid="app-register">
            Register
          </button>
        </div>
      </PostForm>
    </section>
  );
}

function TextArea(props: { id: string; name: string; label: string; value: string; hint: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <p class="hint" id={`${props.id}-hint`}>
        {props.hint}
      </p>
      <textarea id={props.id} name={props.name} data-testid={props.id} rows={3} aria-describedby={`${props.id}-hint`} spellcheck={false} autoComplete="off">
        {props.value}
      </textarea>
    </div>
  );
}

/**
 * The answer to a successful registration: the client id and, for a confidential app,
 * the client secret — shown this once (the POST's own response, sent no-store).
 */
export function AppRegisteredPage(props: { csrf: string; who: string; client: OAuthClient; clientSecret?: string }) {
  const c = props.client;
  return (
    <AdminPage title="App registered" csrf={props.csrf} who={props.who} current="apps">
      <div class="card narrow reveal" data-reveal="/admin/apps">
        <h1>App registered</h1>
        <Alert kind="success">
          “{c.name}” is registered as a {SHORT_TYPE[c.type].toLowerCase()} app.
          {props.clientSecret && ' Copy the client secret now: it is shown only on this screen and cannot be shown again.'}
        </Alert>
        <h2 id="client-id-label">client_id</h2>
        <div class="secret-box">
          <code id="app-client-id" data-testid="app-client-id">
            {c.clientId}
          </code>
          <button type="button" class="button" data-copy-target="app-client-id" data-copied="Client id copied" aria-label="Copy the client id">
            <CopyIcon /> Copy
          </button>
        </div>
        {props.clientSecret && (
          <>
            <h2 id="client-secret-label">client_secret</h2>
            <div class="secret-box">
              <code id="app-client-secret" data-testid="app-client-secret" data-secret-value="">
                {props.clientSecret}
              </code>
              <button type="button" class="button" data-copy-target="app-client-secret" data-copied="Client secret copied" data-testid="copy-client-secret" aria-label="Copy the client secret">
                <CopyIcon /> Copy
              </button>
            </div>
          </>
        )}
        {c.type === 'system' && (
          <p>
            Scope: <code>{c.scope}</code>
          </p>
        )}
        <div class="actions">
          <a class="button primary" href="/admin/apps" data-testid="app-done" data-reveal-done="">
            Done
          </a>
        </div>
      </div>
    </AdminPage>
  );
}

/** The no-JavaScript confirmation for removing an app. */
export function ConfirmRemoveAppPage(props: { csrf: string; who: string; client: OAuthClient }) {
  return (
    <AdminPage title="Remove app" csrf={props.csrf} who={props.who} current="apps">
      <div class="card narrow">
        <h1>Remove app?</h1>
        <p>{removeMessage(props.client)}</p>
        <PostForm action={`/admin/apps/${encodeURIComponent(props.client.clientId)}/remove`} csrf={props.csrf}>
          <div class="actions">
            <a class="button" href="/admin/apps">
              Cancel
            </a>
            <button type="submit" class="button danger" data-testid="confirm-delete">
              Remove
            </button>
          </div>
        </PostForm>
      </div>
    </AdminPage>
  );
}
