import { DATA_CATEGORIES, scopesForCategories } from '../consent/categories.js';
import { CredentialError, type CredentialChoices } from '../auth/credentials.js';

/** The expiry options of the generation form (SPEC "Patient controls"). */
export const EXPIRY_CHOICES: ReadonlyArray<{ value: string; label: string; days: number | null }> = [
  { value: '30', label: 'after 30 days', days: 30 },
  { value: '90', label: 'after 90 days', days: 90 },
  { value: '365', label: 'after 1 year', days: 365 },
  { value: 'never', label: 'never (until you delete them)', days: null },
];

/** The form's state: what is ticked and chosen. */
export interface SharingChoices {
  categories: string[];
  includeSensitive: boolean;
  expiry: string;
}

/** What an untouched form holds: every category, no sensitive information, the longest expiry allowed. */
export function defaultChoices(maxDays: number | null): SharingChoices {
  const allowed = EXPIRY_CHOICES.filter((e) => maxDays === null || (e.days !== null && e.days <= maxDays));
  return {
    categories: DATA_CATEGORIES.map((c) => c.id),
    includeSensitive: false,
    expiry: maxDays === null ? 'never' : (allowed[allowed.length - 1]?.value ?? '30'),
  };
}

/** Every value of a (possibly repeated) urlencoded field. */
export function fieldValues(body: unknown, name: string): string[] {
  if (!body || typeof body !== 'object') return [];
  const v = (body as Record<string, unknown>)[name];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The form as submitted (unknown values dropped), for re-display after an error. A form
 * without the sharing fields (the `sharing` marker absent: an older page, a script) gets
 * the defaults — within the practice's cap — so the seed flow with nothing touched behaves as before.
 */
export function choicesFromForm(body: unknown, maxDays: number | null = null): SharingChoices {
  if (fieldValues(body, 'sharing')[0] !== '1') return defaultChoices(maxDays);
  const known = new Set(DATA_CATEGORIES.map((c) => c.id));
  const expiry = fieldValues(body, 'expiry')[0] ?? 'never';
  return {
    categories: [...new Set(fieldValues(body, 'category'))].filter((id) => known.has(id)),
    includeSensitive: fieldValues(body, 'sensitive')[0] === 'yes',
    expiry: EXPIRY_CHOICES.some((e) => e.value === expiry) ? expiry : 'never',
  };
}

/**
 * What the credential service stores: the chosen categories as a granted SMART scope
 * string (null when every category is chosen — the whole record, as before), the sensitive
 * choice, the lifetime within the practice's cap.
 */
export function toCredentialChoices(choices: SharingChoices, maxDays: number | null): CredentialChoices {
  if (choices.categories.length === 0) throw new CredentialError('bad_choice', 'Choose at least one kind of information to share.');
  const expiry = EXPIRY_CHOICES.find((e) => e.value === choices.expiry)!;
  if (maxDays !== null && (expiry.days === null || expiry.days > maxDays)) {
    throw new CredentialError('bad_choice', `Your practice allows credentials for at most ${maxDays} days.`);
  }
  const everything = DATA_CATEGORIES.every((c) => choices.categories.includes(c.id));
  return { grantedScope: everything ? null : scopesForCategories(choices.categories), includeSensitive: choices.includeSensitive, expiresInDays: expiry.days };
}
