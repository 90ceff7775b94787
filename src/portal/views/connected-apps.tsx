import { describeScope } from '../../consent/describe-scope.js';
import type { Grant } from '../../oauth/grants.js';
import { TrashIcon } from '../../web/components.js';
import { formatDate } from '../../web/render.js';

export type ConnectedAppView = Grant;

/**
 * The apps a patient authorized through SMART App Launch (one row per live grant): the
 * app's name (whatever the practice or the patient typed: rendered escaped), what it may
 * read in plain words, when, last used, and a trash icon that cuts it off. Shared by the
 * portal's FHIR API Access list and the staff patient page; `revokeHref` is the
 * confirmation page (with JavaScript, the confirm dialog posts to the same URL).
 */
export function ConnectedAppList(props: { apps: ConnectedAppView[]; revokeHref: (grant: Grant) => string; audience: 'patient' | 'staff' }) {
  const yours = props.audience === 'patient';
  return (
    <ul class="credential-list" aria-label={yours ? 'Apps you connected' : 'Connected apps'}>
      {props.apps.map((g) => {
        const words = describeScope(g.scope);
        const confirm = yours
          ? `Remove the access of “${g.clientName}”? The app loses access to your record immediately.`
          : `Revoke the access of “${g.clientName}” to this patient's record? The app loses access immediately.`;
        return (
          <li class="credential-row" data-testid="connected-app-row">
            <div class="main">
              <div class="name">{g.clientName}</div>
              <div class="meta">
                Connected {formatDate(g.createdAt)} · Last used {formatDate(g.lastUsedAt)}
                {g.credentialId && ` · signs in with ${yours ? 'your' : 'the patient’s'} API credentials`}
              </div>
              <div class="meta" data-testid="connected-app-scope">
                Can read: {words.lines.join('; ') || 'nothing'}
                {words.identity && `. Knows who ${yours ? 'you are' : 'the patient is'}`}
                {words.lasting && `. Keeps access until ${yours ? 'you remove' : 'removed'} it here`}
              </div>
              <div class="meta" data-testid="connected-app-sensitive">
                {g.includeSensitive ? 'Includes sensitive information' : 'Sensitive information left out'}
              </div>
              {yours && (
                <div class="meta">
                  <a href={`/portal/apps/${encodeURIComponent(g.id)}/activity`} data-testid="credential-activity">
                    Activity
                  </a>
                </div>
              )}
            </div>
            <a
              class="icon-button trash"
              href={props.revokeHref(g)}
              data-testid="revoke-app"
              data-confirm={confirm}
              data-confirm-title={yours ? 'Remove app access?' : 'Revoke app access?'}
              data-confirm-label={yours ? 'Remove' : 'Revoke'}
              aria-label={`${yours ? 'Remove the access of' : 'Revoke the access of'} ${g.clientName}`}
              title={yours ? 'Remove access' : 'Revoke'}
            >
              <TrashIcon />
            </a>
          </li>
        );
      })}
    </ul>
  );
}

/** The "Connected apps" part of FHIR API Access (portal). */
export function ConnectedApps(props: { apps: ConnectedAppView[] }) {
  return (
    <>
      <h3 id="connected-apps">Connected apps</h3>
      {props.apps.length === 0 ? (
        <p class="empty">No apps are connected. When you allow an app to read your record, it appears here until you remove it.</p>
      ) : (
        <ConnectedAppList apps={props.apps} audience="patient" revokeHref={(g) => `/portal/apps/${encodeURIComponent(g.id)}/revoke`} />
      )}
    </>
  );
}
