import { Alert, NewPasswordFields, PostForm, SignInForm } from '../../web/components.js';
import { Layout } from '../../web/layout.js';
import { Field } from '../../web/components.js';
import { PortalPage } from './portal-layout.js';

export function PortalLoginPage(props: { csrf: string; error?: string; notice?: string; username?: string; practice: string; next?: string }) {
  return (
    <Layout title="Sign in" area="portal">
      <div class="card narrow">
        <h1>Sign in to the patient portal</h1>
        <p class="muted">{props.practice}</p>
        {props.notice && <Alert kind="success">{props.notice}</Alert>}
        {props.error && <Alert>{props.error}</Alert>}
        <SignInForm action="/portal/login" csrf={props.csrf} username={props.username} usernameLabel="Username or e-mail" next={props.next} />
      </div>
    </Layout>
  );
}

/** First sign-in with a temporary password (Basic): a new password is required before anything else. */
export function FirstPasswordPage(props: { csrf: string; who: string; error?: string; next?: string }) {
  return (
    <Layout title="Choose a new password" area="portal" signOut={{ action: '/portal/logout', csrf: props.csrf, who: props.who }}>
      <div class="card narrow">
        <h1>Choose a new password</h1>
        <p>You signed in with a temporary password. Choose your own password to continue.</p>
        {props.error && <Alert>{props.error}</Alert>}
        <PostForm action="/portal/password/new" csrf={props.csrf} class="stack">
          {props.next && <input type="hidden" name="next" value={props.next} />}
          <NewPasswordFields submitLabel="Save password" />
        </PostForm>
      </div>
    </Layout>
  );
}

/** Premium activation: the invitation link leads here; the patient chooses a password. */
export function ActivatePage(props: { csrf: string; token: string; username?: string; error?: string; invalid?: boolean }) {
  return (
    <Layout title="Activate your account" area="portal">
      <div class="card narrow">
        <h1>Activate your portal account</h1>
        {props.invalid ? (
          <Alert>This activation link is invalid, already used or expired. Ask the practice for a new invitation.</Alert>
        ) : (
          <>
            {props.username && (
              <p>
                Your username is <strong>{props.username}</strong>. Choose a password to finish.
              </p>
            )}
            {props.error && <Alert>{props.error}</Alert>}
            <PostForm action="/portal/activate" csrf={props.csrf} class="stack">
              <input type="hidden" name="token" value={props.token} />
              <NewPasswordFields submitLabel="Activate" />
            </PostForm>
          </>
        )}
      </div>
    </Layout>
  );
}

export function ChangePasswordPage(props: { csrf: string; who: string; error?: string; done?: boolean }) {
  return (
    <PortalPage title="Change password" csrf={props.csrf} who={props.who} current="password">
      <div class="card narrow">
        <h1>Change password</h1>
        {props.done && <Alert kind="success">Your password has been changed.</Alert>}
        {props.error && <Alert>{props.error}</Alert>}
        <PostForm action="/portal/password" csrf={props.csrf} class="stack">
          <Field id="password-current" name="current" type="password" label="Current password" required autocomplete="current-password" maxLength={256} />
          <NewPasswordFields submitLabel="Change password" />
        </PostForm>
      </div>
    </PortalPage>
  );
}
