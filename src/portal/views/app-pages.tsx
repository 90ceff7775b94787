import { PostForm } from '../../web/components.js';
import { PortalPage } from './portal-layout.js';

/** Most redirect URIs a generated credential may carry. */
export const MAX_REDIRECT_URIS = 10;

/**
 * The optional redirect URIs of a generated credential (SPEC "Connected apps": with them
 * the credential also works as a SMART client that sends the patient through the consent
 * page). One per line; each must match exactly what the app sends.
 */
export function RedirectUriField(props: { value?: string }) {
  return (
    <div class="field">
      <label for="credential-redirect-uri">Redirect URIs (optional)</label>
      <p class="hint" id="credential-redirect-uri-hint">
        Only if the app connects with “SMART on FHIR” sign-in and asks for its redirect URI: paste it here, one per line, exactly as the app shows it (for
        example https://app.example.com/callback). Leave empty for apps that take just a key and a secret.
      </p>
      <textarea
        id="credential-redirect-uri"
        name="redirectUris"
        data-testid="credential-redirect-uri"
        rows={2}
        maxLength={MAX_REDIRECT_URIS * 2100}
        aria-describedby="credential-redirect-uri-hint"
        spellcheck={false}
        autoComplete="off"
      >
        {props.value ?? ''}
      </textarea>
    </div>
  );
}

/** The lines of the redirect URI textarea (blank lines ignored). */
export function redirectUriLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** The no-JavaScript confirmation for removing a connected app (with JavaScript, the confirm dialog asks). */
export function ConfirmRevokeAppPage(props: { csrf: string; who: string; id: string; name: string }) {
  return (
    <PortalPage title="Remove app access" csrf={props.csrf} who={props.who} current="history">
      <div class="card narrow">
        <h1>Remove app access?</h1>
        <p>Remove the access of “{props.name}”? The app loses access to your record immediately. To connect it again, you would allow it again from the app.</p>
        <PostForm action={`/portal/apps/${encodeURIComponent(props.id)}/revoke`} csrf={props.csrf}>
          <div class="actions">
            <a class="button" href="/portal/history#fhir-api-access">
              Cancel
            </a>
            <button type="submit" class="button danger" data-testid="confirm-delete">
              Remove
            </button>
          </div>
        </PostForm>
      </div>
    </PortalPage>
  );
}
