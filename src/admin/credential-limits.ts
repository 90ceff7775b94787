import type { PracticeSettings } from '../accounts/settings.js';
import { field } from '../web/session.js';

/**
 * The practice's limits on patients' API credentials (SPEC "Patient controls": "a practice
 * setting may cap [expiry] and may expire credentials unused for N days"), as staff type
 * them on the settings page: whole days, blank for "no limit". Every error is reported at
 * once, in the form's words.
 */
export interface CredentialLimits {
  maxDays: number | null;
  idleDays: number | null;
  retentionDays: number;
}

/** The shortest expiry a patient can choose (credential-choices.ts): a lower cap would leave no choice. */
export const MIN_CAP_DAYS = 30;
export const MAX_DAYS = 36_600;

/** The form's text values (what was typed, for re-display). */
export interface CredentialLimitsForm {
  maxDays: string;
  idleDays: string;
  retentionDays: string;
}

export function limitsForm(s: Pick<PracticeSettings, 'credentialMaxDays' | 'credentialIdleDays' | 'accessLogRetentionDays'>): CredentialLimitsForm {
  return { maxDays: s.credentialMaxDays?.toString() ?? '', idleDays: s.credentialIdleDays?.toString() ?? '', retentionDays: String(s.accessLogRetentionDays) };
}

export function readLimitsForm(body: unknown): CredentialLimitsForm {
  return { maxDays: field(body, 'maxDays').trim().slice(0, 20), idleDays: field(body, 'idleDays').trim().slice(0, 20), retentionDays: field(body, 'retentionDays').trim().slice(0, 20) };
}

export function parseLimits(form: CredentialLimitsForm): { ok: true; limits: CredentialLimits } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const days = (text: string, what: string, min: number, optional: boolean): number | null => {
    if (text === '' && optional) return null;
    if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > MAX_DAYS) {
      errors.push(`${what} must be a whole number of days from ${min} to ${MAX_DAYS}${optional ? ', or empty for no limit' : ''}.`);
      return null;
    }
    return Number(text);
  };
  const maxDays = days(form.maxDays, 'Longest credential lifetime', MIN_CAP_DAYS, true);
  const idleDays = days(form.idleDays, 'Expire credentials unused for', 1, true);
  const retentionDays = days(form.retentionDays, 'Keep API activity for', 1, false);
  if (errors.length > 0 || retentionDays === null) return { ok: false, errors };
  return { ok: true, limits: { maxDays, idleDays, retentionDays } };
}
