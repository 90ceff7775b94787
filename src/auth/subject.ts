import { SYSTEM_SUBJECT_PREFIX } from './tokens.js';

/**
 * What a subject names — the id a token is issued to, a patient principal acts for and an
 * access-log entry is written under. Decided here only, from the id's prefix:
 * - `credential`: a patient's generated credential (its id, a UUID);
 * - `grant`: a SMART grant the patient made at the consent page (`g-…`, src/oauth/grants.ts);
 * - `system`: a practice system, Backend Services (`sys:` + client_id, src/auth/tokens.ts).
 */
export type SubjectKind = 'credential' | 'grant' | 'system';

/** The subjects that act for one patient. */
export type PatientSubjectKind = Exclude<SubjectKind, 'system'>;

/** The prefix of every SMART grant's id. */
export const GRANT_PREFIX = 'g-';

export function subjectKind(subject: string): SubjectKind {
  if (subject.startsWith(SYSTEM_SUBJECT_PREFIX)) return 'system';
  return subject.startsWith(GRANT_PREFIX) ? 'grant' : 'credential';
}
