import type { ComponentChildren } from 'preact';

/** A POST form carrying the CSRF token. */
export function PostForm(props: { action: string; csrf: string; class?: string; children: ComponentChildren; label?: string }) {
  return (
    <form method="post" action={props.action} class={props.class} aria-label={props.label}>
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

export function Field(props: {
  id: string;
  name: string;
  label: string;
  type?: string;
  testId?: string;
  value?: string;
  required?: boolean;
  autocomplete?: string;
  maxLength?: number;
  hint?: string;
  autofocus?: boolean;
}) {
  const hintId = props.hint ? `${props.id}-hint` : undefined;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      <input
        id={props.id}
        name={props.name}
        type={props.type ?? 'text'}
        data-testid={props.testId}
        value={props.value}
        required={props.required}
        autoComplete={props.autocomplete}
        maxLength={props.maxLength}
        aria-describedby={hintId}
        autoFocus={props.autofocus}
      />
    </div>
  );
}

/** An error summary announced to screen readers. */
export function Alert(props: { kind?: 'error' | 'info' | 'success'; children: ComponentChildren }) {
  const kind = props.kind ?? 'error';
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** The three fields and button of every "set a password" form (first sign-in, activation, change). */
export function NewPasswordFields(props: { submitLabel: string }) {
  return (
    <>
      <Field id="password-new" name="password" type="password" label="New password" testId="password-new" required autocomplete="new-password" hint="At least 10 characters. A few unrelated words make a good password." maxLength={256} />
      <Field id="password-confirm" name="confirm" type="password" label="Repeat the new password" testId="password-confirm" required autocomplete="new-password" maxLength={256} />
      <button type="submit" class="button primary" data-testid="password-submit">
        {props.submitLabel}
      </button>
    </>
  );
}

export function SignInForm(props: { action: string; csrf: string; username?: string; usernameLabel: string; next?: string }) {
  return (
    <PostForm action={props.action} csrf={props.csrf} class="stack">
      {props.next && <input type="hidden" name="next" value={props.next} />}
      <Field id="login-username" name="username" label={props.usernameLabel} testId="login-username" value={props.username} required autocomplete="username" maxLength={200} autofocus />
      <Field id="login-password" name="password" type="password" label="Password" testId="login-password" required autocomplete="current-password" maxLength={256} />
      <button type="submit" class="button primary" data-testid="login-submit">
        Sign in
      </button>
    </PostForm>
  );
}

/** A small trash-can icon (decorative: the control carries the accessible name). */
export function TrashIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" class="icon">
      <path d="M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h2v-8h-2zm4 0v8h2v-8h-2z" fill="currentColor" />
    </svg>
  );
}

export function CopyIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false" class="icon">
      <path d="M8 3h11v13h-2V5H8V3zM4 7h11v14H4V7zm2 2v10h7V9H6z" fill="currentColor" />
    </svg>
  );
}

/**
 * The confirmation dialog, opened by app.js for links marked data-confirm (it posts to the
 * link's href). Without JavaScript those links lead to a confirmation page instead.
 */
export function ConfirmDialog(props: { csrf: string }) {
  return (
    <dialog id="confirm-dialog" class="dialog" aria-labelledby="confirm-title" aria-describedby="confirm-message">
      <form method="post" action="" id="confirm-form">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <h2 id="confirm-title">Are you sure?</h2>
        <p id="confirm-message"></p>
        <div class="actions">
          <button type="button" class="button" value="cancel" id="confirm-cancel">
            Cancel
          </button>
          <button type="submit" class="button danger" data-testid="confirm-delete" id="confirm-ok">
            Delete
          </button>
        </div>
      </form>
    </dialog>
  );
}
