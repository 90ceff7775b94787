import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PortalAccounts } from '../accounts/portal-accounts.js';
import type { Db } from '../db/db.js';
import type { Mailer } from '../mail/mailer.js';
import { networkOf } from './network.js';

/**
 * What the patient is told about access to their record (SPEC "Patient controls":
 * notices): a credential or app grant was created, used for the first time, used from a
 * network it had not been used from, or is about to expire. Each notice is a portal
 * banner until the patient dismisses it and, for Premium patients (who gave an e-mail),
 * also a message through the mailer. Messages name the credential or app, the time and
 * the network — never a key, a secret or a token.
 *
 * SMART app grants use the same verbs with `kind: 'app'`.
 */
export type NoticeKind = 'created' | 'first-use' | 'new-network' | 'expiring';

export interface NoticeSubject {
  patientId: string;
  /** The credential id or the app grant id. */
  subjectId: string;
  /** The name the patient knows it by (credential description, app name). */
  name: string;
  kind: 'credential' | 'app';
}

export interface Notice {
  id: string;
  patientId: string;
  kind: NoticeKind;
  subjectKind: 'credential' | 'app';
  subjectId: string;
  subjectName: string;
  detail: string | null;
  createdAt: number;
}

interface Row {
  id: string;
  patient_id: string;
  kind: string;
  subject_kind: string;
  subject_id: string;
  subject_name: string;
  detail: string | null;
  created_at: number;
}

const toNotice = (r: Row): Notice => ({
  id: r.id, patientId: r.patient_id, kind: r.kind as NoticeKind, subjectKind: r.subject_kind as 'credential' | 'app', subjectId: r.subject_id,
  subjectName: r.subject_name, detail: r.detail, createdAt: Number(r.created_at),
});

/** The banner's and the e-mail's sentence (plain text; pages render it escaped). */
export function noticeText(n: Pick<Notice, 'kind' | 'subjectKind' | 'subjectName' | 'detail'>): string {
  const what = n.subjectKind === 'app' ? `The app “${n.subjectName}”` : `Your API credentials “${n.subjectName}”`;
  switch (n.kind) {
    case 'created':
      return n.subjectKind === 'app' ? `${what} was given access to your record.` : `${what} were created.`;
    case 'first-use':
      return `${what} ${n.subjectKind === 'app' ? 'was' : 'were'} used for the first time${n.detail ? `, from ${n.detail}` : ''}.`;
    case 'new-network':
      return `${what} ${n.subjectKind === 'app' ? 'was' : 'were'} used from a network not seen before${n.detail ? ` (${n.detail})` : ''}.`;
    case 'expiring':
      return `${what} will expire on ${n.detail ?? 'a date soon'}. Generate new credentials if the app should keep its access.`;
  }
}

export interface NoticeDeps {
  db: Db;
  accounts: Pick<PortalAccounts, 'getByPatient'>;
  mailer: Mailer;
  logger?: Logger;
  publicUrl: string;
  now?: () => number;
}

export function noticeService(deps: NoticeDeps) {
  const now = deps.now ?? Date.now;
  /** (subject, network) pairs known to be recorded, so most API calls cost no query. */
  const seen = new Set<string>();

  const notify = async (s: NoticeSubject, kind: NoticeKind, detail: string | null): Promise<Notice> => {
    const n: Notice = {
      id: randomUUID(), patientId: s.patientId, kind, subjectKind: s.kind, subjectId: s.subjectId, subjectName: s.name, detail, createdAt: now(),
    };
    await deps.db.run(
      `INSERT INTO patient_notices (id, patient_id, kind, subject_kind, subject_id, subject_name, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [n.id, n.patientId, n.kind, n.subjectKind, n.subjectId, n.subjectName, n.detail, n.createdAt],
    );
    const account = await deps.accounts.getByPatient(s.patientId);
    if (account?.edition === 'premium' && account.email && account.status === 'active') {
      const text = `${noticeText(n)}\n\nWhen: ${new Date(n.createdAt).toUTCString()}\n\nIf this was not you or an app you trust, sign in to the patient portal and delete it under My History → FHIR API Access:\n${deps.publicUrl}/portal/history#fhir-api-access\n`;
      try {
        await deps.mailer.send({ to: account.email, subject: subjectLine(kind), text });
      } catch (err) {
        // The banner stands either way; a mail outage must not fail the API call or the page.
        deps.logger?.error({ err, notice: n.id }, 'notice e-mail failed');
      }
    }
    return n;
  };

  return {
    credentialCreated: (s: NoticeSubject) => notify(s, 'created', null),
    expiringSoon: (s: NoticeSubject, expiresAt: number) => notify(s, 'expiring', new Date(expiresAt).toUTCString().slice(0, 16)),

    /**
     * Records that the subject was used from `ip`: the first network ever is a first use,
     * any later new one a new-network notice. Idempotent per (subject, network), also
     * across instances (the insert decides).
     */
    async recordUse(s: Omit<NoticeSubject, 'name'> & { name?: string }, ip: string | null | undefined, resolveName?: () => Promise<string | undefined>): Promise<void> {
      const network = networkOf(ip) ?? 'unknown';
      const key = `${s.subjectId}\0${network}`;
      if (seen.has(key)) return;
      const inserted = await deps.db.run('INSERT INTO access_networks (subject_id, network, first_seen) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
        s.subjectId, network, now(),
      ]);
      seen.add(key);
      if (!inserted) return;
      const row = await deps.db.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM access_networks WHERE subject_id = ?', [s.subjectId]);
      const name = s.name ?? (await resolveName?.()) ?? (s.kind === 'app' ? 'a connected app' : 'API credentials');
      await notify({ ...s, name }, Number(row?.n ?? 1) <= 1 ? 'first-use' : 'new-network', network === 'unknown' ? null : network);
    },

    /** Banners not yet dismissed, newest first. */
    async active(patientId: string, limit = 10): Promise<Notice[]> {
      const rows = await deps.db.all<Row>(
        'SELECT id, patient_id, kind, subject_kind, subject_id, subject_name, detail, created_at FROM patient_notices WHERE patient_id = ? AND dismissed_at IS NULL ORDER BY created_at DESC, id LIMIT ?',
        [patientId, limit],
      );
      return rows.map(toNotice);
    },

    /** Hides a banner; only the patient's own. */
    async dismiss(id: string, patientId: string): Promise<boolean> {
      return (await deps.db.run('UPDATE patient_notices SET dismissed_at = ? WHERE id = ? AND patient_id = ? AND dismissed_at IS NULL', [now(), id, patientId])) > 0;
    },
  };
}

function subjectLine(kind: NoticeKind): string {
  switch (kind) {
    case 'created': return 'New access to your health record';
    case 'first-use': return 'Your health record was accessed by an app for the first time';
    case 'new-network': return 'Your health record was accessed from a new network';
    case 'expiring': return 'API credentials for your health record expire soon';
  }
}

export type NoticeService = ReturnType<typeof noticeService>;
