import type { Queryable, SqlValue } from '../../db/db.js';
import type { IndexRows } from '../search/index-rows.js';

/**
 * Writes a resource version's index rows. Rows go in multi-row INSERTs of a fixed chunk
 * size, so each table sees at most two distinct statements (cached by both drivers) and
 * PostgreSQL pays one round trip per chunk, not per row.
 */
const CHUNK = 50;

const TABLES = ['idx_token', 'idx_string', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri', 'compartment', 'refs'] as const;

export async function deleteIndex(tx: Queryable, seq: number): Promise<void> {
  for (const table of TABLES) await tx.run(`DELETE FROM ${table} WHERE res = ?`, [seq]);
}

/** Removes the search rows of a deleted resource but keeps compartment and refs (its history stays in scope). */
export async function deleteSearchRows(tx: Queryable, seq: number): Promise<void> {
  for (const table of TABLES.slice(0, 7)) await tx.run(`DELETE FROM ${table} WHERE res = ?`, [seq]);
}

export async function writeIndex(tx: Queryable, seq: number, type: string, rows: IndexRows): Promise<void> {
  await insertRows(tx, 'idx_token', ['res', 'type', 'param', 'system', 'code', 'text'],
    rows.tokens.map((r) => [seq, type, r.param, r.system, r.code, r.text]));
  await insertRows(tx, 'idx_string', ['res', 'type', 'param', 'value', 'exact'],
    rows.strings.map((r) => [seq, type, r.param, r.value, r.exact]));
  await insertRows(tx, 'idx_date', ['res', 'type', 'param', 'lo', 'hi'],
    rows.dates.map((r) => [seq, type, r.param, r.lo, r.hi]));
  await insertRows(tx, 'idx_number', ['res', 'type', 'param', 'value', 'lo', 'hi'],
    rows.numbers.map((r) => [seq, type, r.param, r.value, r.lo, r.hi]));
  await insertRows(tx, 'idx_quantity', ['res', 'type', 'param', 'value', 'lo', 'hi', 'system', 'code', 'unit'],
    rows.quantities.map((r) => [seq, type, r.param, r.value, r.lo, r.hi, r.system, r.code, r.unit]));
  await insertRows(tx, 'idx_reference', ['res', 'type', 'param', 'target_type', 'target_id', 'url'],
    rows.references.map((r) => [seq, type, r.param, r.targetType, r.targetId, r.url]));
  await insertRows(tx, 'idx_uri', ['res', 'type', 'param', 'value'], rows.uris.map((r) => [seq, type, r.param, r.value]));
  await insertRows(tx, 'compartment', ['patient', 'res'], [...new Set(rows.compartments)].map((p) => [p, seq]));
  const refs = new Map(rows.refs.map((r) => [`${r.targetType}/${r.targetId}`, r]));
  await insertRows(tx, 'refs', ['res', 'target_type', 'target_id'], [...refs.values()].map((r) => [seq, r.targetType, r.targetId]));
}

async function insertRows(tx: Queryable, table: string, columns: string[], rows: SqlValue[][]): Promise<void> {
  if (rows.length === 0) return;
  const one = `(${columns.map(() => '?').join(', ')})`;
  const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await tx.run(head + chunk.map(() => one).join(', '), chunk.flat());
  }
}
