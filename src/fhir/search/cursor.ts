import { errors } from '../outcome.js';
import type { Cursor, SortKey } from './query.js';

/**
 * The keyset paging cursor carried by `next` links: the sort values and `seq` of the last
 * row of the page, as base64url JSON. It holds a position only, never who may see what:
 * the scope is applied again from the request's principal on every page, so editing the
 * cursor can move the position but cannot widen access.
 */

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: cursor.values, s: cursor.seq })).toString('base64url');
}

const INVALID = 'Invalid paging cursor "_cursor" (use the links of a previous page)';

/** Decodes and checks a cursor against the sort keys of the query it continues. */
export function decodeCursor(text: string, sort: readonly SortKey[]): Cursor {
  if (text.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(text)) throw errors.badParameter(INVALID);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw errors.badParameter(INVALID);
  }
  const { v, s } = (parsed ?? {}) as { v?: unknown; s?: unknown };
  if (!Array.isArray(v) || v.length !== sort.length) throw errors.badParameter(INVALID);
  if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw errors.badParameter(INVALID);
  const values = v.map((value, i) => {
    const numeric = isNumericSort(sort[i]);
    if (numeric && typeof value === 'number' && Number.isFinite(value)) return value;
    if (!numeric && typeof value === 'string' && value.length <= 4096 && !value.includes('\u0000')) return value;
    throw errors.badParameter(INVALID);
  });
  return { values, seq: s };
}

/** Whether a sort key orders by a number (dates are epoch ms) rather than text. */
export function isNumericSort(key: SortKey): boolean {
  return key.kind === 'lastUpdated' || key.kind === 'date' || key.kind === 'number' || key.kind === 'quantity';
}
