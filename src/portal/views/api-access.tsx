import type { ApiAccess } from '../../audit/api-access-log.js';
import type { ApiCredential } from '../../auth/credentials.js';
import { ConfirmDialog, TrashIcon } from '../../web/components.js';
import { formatDate } from '../../web/render.js';
import { ConnectedApps, type ConnectedAppView } from './connected-apps.js';
import { SharingSummary } from './controls-pages.js';

export interface CredentialView {
  credential: ApiCredential;
  recent: ApiAccess[];
  /** Redirect URIs typed at generation (the credential as a SMART client). */
  redirectUris?: string[];
}

/**
 * The FHIR API Access section of My History (seed steps 3–6): the patient's credentials,
 * each with created / last used, its recent access log and a trash icon at the far right.
 */
export function ApiAccessSection(props: { csrf: string; items: CredentialView[]; publicUrl: string; disabled?: boolean; apps?: ConnectedAppView[] }) {
  return (
    <section class="card" id="fhir-api-access" data-testid="fhir-api-access" aria-labelledby="fhir-api-access-title">
      <h2 id="fhir-api-access-title">FHIR API Access</h2>
      <p class="muted">
        Health apps can read your record through the practice's FHIR API with a key and a secret that you generate here. Generate separate credentials for each
        app, so you can cut one off without affecting the others.
      </p>
      <p>
        <a class="button primary" href="/portal/credentials/new" data-testid="generate-credentials">
          Generate New Credentials
        </a>
      </p>
      {props.items.length === 0 ? (
        <p class="empty">You have no API credentials yet.</p>
      ) : (
        <ul class="credential-list" aria-label="Your API credentials">
          {props.items.map(({ credential: c, recent, redirectUris }) => (
            <li class="credential-row" data-testid="credential-row">
              <div class="main">
                <div class="name">{c.name}</div>
                <div class="meta">
                  Created {formatDate(c.createdAt)} · Last used {formatDate(c.lastUsedAt)} · Key <code>{c.key.slice(0, 6)}…</code>
                  {c.suspended && <span class="badge off"> suspended</span>}
                </div>
                {redirectUris && redirectUris.length > 0 && (
                  <div class="meta" data-testid="credential-redirect-uris">
                    Redirect URI{redirectUris.length > 1 ? 's' : ''}: {redirectUris.map((u, i) => <>{i > 0 && ', '}<code>{u}</code></>)}
                  </div>
                )}
                <SharingSummary credential={c} />
                <div class="meta">
                  <a href={`/portal/credentials/${encodeURIComponent(c.id)}/activity`} data-testid="credential-activity">
                    Activity
                  </a>
                  {!c.expired && (
                    <>
                      {' · '}
                      <a href={`/portal/credentials/${encodeURIComponent(c.id)}/replace-secret`} data-testid="replace-secret">
                        Replace secret
                      </a>
                    </>
                  )}
                </div>
                {recent.length > 0 && (
                  <details>
                    <summary>Recent use</summary>
                    <AccessTable rows={recent} />
                  </details>
                )}
              </div>
              <a
                class="icon-button trash"
                href={`/portal/credentials/${encodeURIComponent(c.id)}/delete`}
                data-testid="delete-credential"
                data-confirm={`Delete the credentials “${c.name}”? Apps using them will lose access immediately.`}
                data-confirm-title="Delete credentials?"
                aria-label={`Delete credentials ${c.name}`}
                title="Delete"
              >
                <TrashIcon />
              </a>
            </li>
          ))}
        </ul>
      )}
      {props.apps && <ConnectedApps apps={props.apps} />}
      <HowToUse publicUrl={props.publicUrl} />
      <ConfirmDialog csrf={props.csrf} />
    </section>
  );
}

export function AccessTable(props: { rows: ApiAccess[]; names?: Map<string, string> }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            {props.names && <th scope="col">Credentials</th>}
            <th scope="col">What</th>
            <th scope="col">Resources</th>
            <th scope="col">From</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((a) => (
            <tr>
              <td>{formatDate(a.at)}</td>
              {props.names && <td>{props.names.get(a.credentialId) ?? 'deleted'}</td>}
              <td>
                {a.interaction}
                {a.resourceType ? ` ${a.resourceType}` : ''}
              </td>
              <td class="num">{a.count}</td>
              <td>{a.ip ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Where and how an app uses the credentials; placeholders only, never a real secret. */
export function HowToUse(props: { publicUrl: string }) {
  const base = `${props.publicUrl}/fhir`;
  const token = `${props.publicUrl}/oauth/token`;
  return (
    <details class="how-to">
      <summary>How to use these credentials</summary>
      <dl class="facts">
        <dt>FHIR base URL</dt>
        <dd>
          <code>{base}</code>
        </dd>
        <dt>Token URL</dt>
        <dd>
          <code>{token}</code>
        </dd>
        <dt>Grant</dt>
        <dd>OAuth 2.0 client credentials: the key is the client_id, the secret is the client_secret.</dd>
      </dl>
      <pre class="example">
        <code>{`# Get an access token (valid for up to one hour)
curl -u YOUR_KEY:YOUR_SECRET -d grant_type=client_credentials ${token}

# Read your record with it
curl -H "Authorization: Bearer ACCESS_TOKEN" ${base}/Patient

# Or send the key and secret on every call
curl -u YOUR_KEY:YOUR_SECRET "${base}/Observation?category=vital-signs"`}</code>
      </pre>
    </details>
  );
}
