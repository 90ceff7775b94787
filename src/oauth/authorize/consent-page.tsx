import { Alert, PostForm } from '../../web/components.js';
import { Layout } from '../../web/layout.js';
import { DECISION_PATH } from './paths.js';
import { REQUEST_PARAMS, type ValidRequest } from './request.js';

/**
 * The consent page (SPEC "Connected apps"): who asks (the app's name is whatever the
 * practice or the patient typed — rendered escaped like everything here), what it asks
 * for in plain words grouped by data category, one checkbox per grantable item (value =
 * the scope it grants), "Include sensitive information" (unticked by default, as on the
 * credential generation form), the offline_access notice, Allow and Deny. Framing is refused by
 * the page headers (frame-ancestors 'none'); the form carries the CSRF token.
 */
export function ConsentPage(props: { csrf: string; request: ValidRequest; who: string; practice: string; error?: string }) {
  const { request } = props;
  const ownCredential = Boolean(request.client.credential);
  return (
    <Layout title="Allow access" area="portal" signOut={{ action: '/portal/logout', csrf: props.csrf, who: props.who }}>
      <div class="card consent">
        <h1>
          Allow <span data-testid="consent-app-name">{request.client.name}</span> to read your health record?
        </h1>
        <p class="muted">
          {ownCredential
            ? 'This app signs in with API credentials you generated in My History.'
            : `This app is registered with ${props.practice}.`}{' '}
          It will only ever see your own record, and only what you tick below. It cannot change anything.
        </p>
        {props.error && <Alert>{props.error}</Alert>}
        <PostForm action={DECISION_PATH} csrf={props.csrf} class="stack" label="Allow or deny access">
          {REQUEST_PARAMS.map((name) => (request.params[name] !== undefined ? <input type="hidden" name={name} value={request.params[name]} /> : null))}
          {request.groups.map((group) => (
            <fieldset class="consent-group">
              <legend>{group.category.label}</legend>
              <p class="hint">{group.category.description}</p>
              {group.items.map((item, i) => {
                const id = `consent-${group.category.id}-${i}`;
                return (
                  <div class="check">
                    <input type="checkbox" id={id} name="grant" value={item.scope} checked={item.checked} data-testid="consent-scope" />
                    <label for={id}>{item.label}</label>
                  </div>
                );
              })}
            </fieldset>
          ))}
          <fieldset class="consent-group">
            <legend>Sensitive information</legend>
            <div class="check">
              <input type="checkbox" id="consent-sensitive" name="sensitive" value="yes" data-testid="consent-sensitive" aria-describedby="consent-sensitive-hint" />
              <label for="consent-sensitive">Include sensitive information</label>
            </div>
            <p class="hint" id="consent-sensitive-hint">
              Records your practice marked as sensitive — mental health, substance use, HIV and sexual health — are left out unless you tick this;
              psychotherapy notes are never shared through the API.
              {ownCredential && ' With your own API credentials, only if they include sensitive information too.'}
            </p>
          </fieldset>
          {request.offline && (
            <Alert kind="info">
              <span data-testid="consent-offline-notice">
                This app asks for lasting access: it can keep reading your record until you remove it here, under FHIR API Access in My History — even
                when you are not signed in.
              </span>
            </Alert>
          )}
          <div class="actions">
            <button type="submit" name="decision" value="allow" class="button primary" data-testid="consent-allow">
              Allow
            </button>
            <button type="submit" name="decision" value="deny" class="button" data-testid="consent-deny">
              Deny
            </button>
          </div>
        </PostForm>
      </div>
    </Layout>
  );
}

/** An authorization request that cannot be answered to the app (unknown app, unregistered redirect). */
export function AuthorizeErrorPage(props: { message: string }) {
  return (
    <Layout title="Cannot connect the app" area="portal">
      <div class="card narrow">
        <h1>This app cannot connect</h1>
        <Alert>{props.message}</Alert>
        <p>
          <a href="/portal/">Go to the patient portal</a>
        </p>
      </div>
    </Layout>
  );
}
