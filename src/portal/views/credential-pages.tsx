import { Alert, CopyIcon, PostForm } from '../../web/components.js';
import { NAME_MAX } from '../../auth/credentials.js';
import { PortalPage } from './portal-layout.js';
import { HowToUse } from './api-access.js';
import { RedirectUriField } from './app-pages.js';
import { SharingFields } from './controls-pages.js';
import type { SharingChoices } from '../credential-choices.js';

interface Base {
  csrf: string;
  who: string;
}

/** Seed step 4: name the credentials, then Submit. */
export function NewCredentialPage(props: Base & { error?: string; name?: string; redirectUris?: string; choices: SharingChoices; maxDays: number | null }) {
  return (
    <PortalPage title="Generate New Credentials" csrf={props.csrf} who={props.who} current="history">
      <div class="card narrow">
        <h1>Generate New Credentials</h1>
        {props.error && <Alert>{props.error}</Alert>}
        <PostForm action="/portal/credentials" csrf={props.csrf} class="stack">
          <div class="field">
            <label for="credential-name">Describe what the credentials are for</label>
            <p class="hint" id="credential-name-hint">
              For example “Health App”. Only you and the practice see this name.
            </p>
            <input id="credential-name" name="name" type="text" data-testid="credential-name" required maxLength={NAME_MAX} value={props.name} aria-describedby="credential-name-hint" autoFocus />
          </div>
          <RedirectUriField value={props.redirectUris} />
          <SharingFields choices={props.choices} maxDays={props.maxDays} />
          <div class="actions">
            <a class="button" href="/portal/history#fhir-api-access">
              Cancel
            </a>
            <button type="submit" class="button primary" data-testid="credential-submit">
              Submit
            </button>
          </div>
        </PostForm>
      </div>
    </PortalPage>
  );
}

/**
 * Seed step 5: the only time the key and secret are shown. This page is the direct
 * answer to the POST (no URL to come back to) and is sent with Cache-Control: no-store.
 */
export function RevealPage(props: Base & { name: string; keyValue: string; secret: string; publicUrl: string; replaced?: boolean }) {
  return (
    <PortalPage title="Credentials generated" csrf={props.csrf} who={props.who} current="history">
      <div class="card narrow reveal" data-reveal="">
        <h1>Generate New Credentials</h1>
        <Alert kind="success">
          New credentials have successfully been generated. Please copy using the buttons below or write down the key and secret, they will not be available once
          you leave this screen. <span class="check" aria-hidden="true">✓</span>
        </Alert>
        <p>
          For: <strong>{props.name}</strong>
        </p>
        <SecretField label="key" id="credential-key" value={props.keyValue} copyTestId="copy-key" copied="Key copied" />
        <SecretField label="secret" id="credential-secret" value={props.secret} copyTestId="copy-secret" copied="Secret copied" />
        <p class="muted">For security purposes, once you click Done you will not be able to copy the key and secret again.</p>
        <p class="muted" data-testid="reveal-sharing-help">
          {props.replaced
            ? 'The key is unchanged; only the secret is new. What the credentials share has not changed.'
            : 'Records your practice marked as sensitive (mental health, substance use, HIV, sexual health) are shared only if you ticked “Include sensitive information”; psychotherapy notes are never shared through the API.'}
        </p>
        <HowToUse publicUrl={props.publicUrl} />
        <div class="actions">
          <a class="button primary" href="/portal/history?done=1#fhir-api-access" data-testid="credential-done">
            Done
          </a>
        </div>
      </div>
    </PortalPage>
  );
}

/** The no-JavaScript confirmation for deleting credentials (with JavaScript, a dialog asks instead). */
export function ConfirmDeletePage(props: Base & { id: string; name: string }) {
  return (
    <PortalPage title="Delete credentials" csrf={props.csrf} who={props.who} current="history">
      <div class="card narrow">
        <h1>Delete credentials?</h1>
        <p>
          Delete the credentials “{props.name}”? Apps using them will lose access immediately. This cannot be undone.
        </p>
        <PostForm action={`/portal/credentials/${encodeURIComponent(props.id)}/delete`} csrf={props.csrf}>
          <div class="actions">
            <a class="button" href="/portal/history#fhir-api-access">
              Cancel
            </a>
            <button type="submit" class="button danger" data-testid="confirm-delete">
              Delete
            </button>
          </div>
        </PostForm>
      </div>
    </PortalPage>
  );
}

/** One revealed value with its copy button (the copy script reads data-copy-target). */
function SecretField(props: { label: string; id: string; value: string; copyTestId: string; copied: string }) {
  return (
    <>
      <h2 id={`${props.label}-label`}>{props.label}</h2>
      <div class="secret-box">
        <code id={props.id} data-testid={props.id} data-secret-value="">
          {props.value}
        </code>
        <button type="button" class="button" data-copy-target={props.id} data-copied={props.copied} data-testid={props.copyTestId} aria-label={`Copy the ${props.label}`}>
          <CopyIcon /> Copy
        </button>
      </div>
    </>
  );
}
