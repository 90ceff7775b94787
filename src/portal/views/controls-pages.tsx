import type { ApiAccess } from '../../audit/api-access-log.js';
import type { ApiCredential } from '../../auth/credentials.js';
import { DATA_CATEGORIES } from '../../consent/categories.js';
import type { Notice } from '../../notices/notices.js';
import { noticeText } from '../../notices/notices.js';
import { Alert, PostForm } from '../../web/components.js';
import { formatDate } from '../../web/render.js';
import { EXPIRY_CHOICES, type SharingChoices } from '../credential-choices.js';
import { PortalPage } from './portal-layout.js';

interface Base {
  csrf: string;
  who: string;
}

/**
 * What a credential shares (Patient controls), on the generation form after the name:
 * the data categories (all ticked by default), sensitive information (unticked by
 * default) and the expiry.
 */
export function SharingFields(props: { choices: SharingChoices; maxDays: number | null }) {
  const c = props.choices;
  return (
    <>
      <input type="hidden" name="sharing" value="1" />
      <fieldset class="field choices">
        <legend>What these credentials share</legend>
        <p class="hint">Untick anything the app does not need. It will not see those parts of your record at all.</p>
        <ul class="checkbox-list">
          {DATA_CATEGORIES.map((cat) => (
            <li>
              <label>
                <input type="checkbox" name="category" value={cat.id} data-testid="credential-category" checked={c.categories.includes(cat.id)} />{' '}
                <strong>{cat.label}</strong> <span class="hint">{cat.description}</span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <div class="field">
        <label>
          <input type="checkbox" name="sensitive" value="yes" data-testid="credential-sensitive" checked={c.includeSensitive} aria-describedby="credential-sensitive-hint" />{' '}
          Include sensitive information
        </label>
        <p class="hint" id="credential-sensitive-hint">
          Records your practice marked as sensitive — mental health, substance use, HIV and sexual health — are left out unless you tick this; psychotherapy
          notes are never shared through the API.
        </p>
      </div>
      <div class="field">
        <label for="credential-expiry">The credentials stop working</label>
        <select id="credential-expiry" name="expiry" data-testid="credential-expiry">
          {EXPIRY_CHOICES.filter((e) => props.maxDays === null || (e.days !== null && e.days <= props.maxDays)).map((e) => (
            <option value={e.value} selected={c.expiry === e.value}>
              {e.label}
            </option>
          ))}
        </select>
        {props.maxDays !== null && <p class="hint">Your practice allows credentials for at most {props.maxDays} days.</p>}
      </div>
    </>
  );
}

/** One line saying what a credential shares and until when (FHIR API Access list). */
export function SharingSummary(props: { credential: ApiCredential }) {
  const c = props.credential;
  return (
    <div class="meta sharing">
      {c.grantedScope ? 'Shares some categories' : 'Shares your whole record'} · {c.includeSensitive ? 'includes sensitive information' : 'sensitive information left out'} ·{' '}
      {c.expired ? (
        <span class="badge off" data-testid="credential-expired">
          expired {formatDate(c.expiresAt)}
        </span>
      ) : c.expiresAt ? (
        `expires ${formatDate(c.expiresAt)}`
      ) : (
        'never expires'
      )}
    </div>
  );
}

/** Banners for notices not yet dismissed (top of My History). */
export function NoticeBanners(props: { csrf: string; notices: Notice[] }) {
  if (props.notices.length === 0) return null;
  return (
    <div class="notices" aria-label="Notices about access to your record">
      {props.notices.map((n) => (
        <div class="alert alert-info notice" role="status" data-testid="notice-banner" data-notice-kind={n.kind}>
          <span>
            {noticeText(n)} <span class="muted">({formatDate(n.createdAt)})</span>
          </span>
          <PostForm action={`/portal/notices/${encodeURIComponent(n.id)}/dismiss`} csrf={props.csrf} class="inline">
            <button type="submit" class="button small" data-testid="dismiss-notice" aria-label="Dismiss this notice">
              Dismiss
            </button>
          </PostForm>
        </div>
      ))}
    </div>
  );
}

/** Whose calls an activity page lists: a generated credential or a connected app (SMART grant). */
export interface ActivitySubject {
  kind: 'credential' | 'app';
  id: string;
  /** The credential's or the app's name (typed by the patient or the practice: rendered escaped). */
  name: string;
  /** When it was deleted or its access removed; its history is kept. */
  endedAt: number | null;
  /** A short, non-secret part of the CSV file name. */
  fileStem: string;
}

const ACTIVITY_WORDS = {
  credential: { intro: 'Every call an app made with these credentials', ended: 'These credentials were deleted', unused: 'These credentials have not been used yet.' },
  app: { intro: 'Every call this app made to your record', ended: 'You removed this app’s access', unused: 'This app has not used its access yet.' },
} as const;

/** Every API call made by one credential or connected app, newest first, paged; with a CSV download. */
export function ActivityPage(props: Base & { subject: ActivitySubject; href: string; entries: Array<ApiAccess & { seq: number }>; olderHref?: string }) {
  const s = props.subject;
  const words = ACTIVITY_WORDS[s.kind];
  return (
    <PortalPage title={`Activity: ${s.name}`} csrf={props.csrf} who={props.who} current="history">
      <div class="card">
        <h1>Activity of “{s.name}”</h1>
        <p class="muted">
          {words.intro}: when, from which address, what it asked for, how many resources it received and the answer.
          {s.endedAt !== null && ` ${words.ended} ${formatDate(s.endedAt)}; the history is kept.`}
        </p>
        <p>
          <a class="button" href={`${props.href}.csv`} data-testid="activity-csv" download>
            Download as CSV
          </a>{' '}
          <a class="button" href="/portal/history#fhir-api-access">
            Back to My History
          </a>
        </p>
        {props.entries.length === 0 ? (
          <p class="empty">{words.unused}</p>
        ) : (
          <div class="table-wrap">
            <table data-testid="activity-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">From</th>
                  <th scope="col">What</th>
                  <th scope="col">Type</th>
                  <th scope="col">Resources</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {props.entries.map((a) => (
                  <tr data-testid="activity-row">
                    <td>{formatDate(a.at)}</td>
                    <td>{a.ip ?? ''}</td>
                    <td>{a.interaction}</td>
                    <td>{a.resourceType ?? ''}</td>
                    <td class="num">{a.count}</td>
                    <td>{a.status ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {props.olderHref && (
          <p>
            <a href={props.olderHref} data-testid="activity-older">
              Older calls
            </a>
          </p>
        )}
      </div>
    </PortalPage>
  );
}

/** Replace secret: the patient chooses what happens to the old one. */
export function ReplaceSecretPage(props: Base & { credential: ApiCredential; error?: string }) {
  const c = props.credential;
  return (
    <PortalPage title="Replace secret" csrf={props.csrf} who={props.who} current="history">
      <div class="card narrow">
        <h1>Replace the secret of “{c.name}”</h1>
        {props.error && <Alert>{props.error}</Alert>}
        <p>The key stays the same; you get a new secret, shown once. Give it to the app, then choose what happens to the old secret.</p>
        <PostForm action={`/portal/credentials/${encodeURIComponent(c.id)}/replace-secret`} csrf={props.csrf} class="stack">
          <fieldset class="field">
            <legend>The old secret</legend>
            <label>
              <input type="radio" name="old" value="keep" data-testid="replace-keep-old" checked /> keeps working for 24 hours, then stops by itself
            </label>
            <br />
            <label>
              <input type="radio" name="old" value="cut" data-testid="replace-cut-old" /> stops working at once (and so do access tokens obtained with it)
            </label>
          </fieldset>
          <div class="actions">
            <a class="button" href="/portal/history#fhir-api-access">
              Cancel
            </a>
            <button type="submit" class="button primary" data-testid="replace-submit">
              Replace secret
            </button>
          </div>
        </PostForm>
      </div>
    </PortalPage>
  );
}
