import type { Queryable, SqlValue } from '../../db/db.js';
import type { IndexRows } from '../search/index-rows.js';

/**
 * Index rows of a transaction's writes, buffered and written in multi-row INSERTs when the
 * transaction ends (or before anything in it searches). A bundle of a thousand resources
 * then costs a few dozen statements instead of ten thousand — on PostgreSQL that is the
 * difference between a round trip per row and one per chunk.
 */
const CHUNK = 400;

const SEARCH_TABLES = ['idx_token', 'idx_string', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri'] as const;

const COLUMNS: Record<string, string[]> = {
  idx_token: ['res', 'type', 'param', 'system', 'code', 'text', 'patient'],
  idx_string: ['res', 'type', 'param', 'value', 'exact'],
  idx_date: ['res', 'type', 'param', 'lo', 'hi', 'patient'],
  idx_number: ['res', 'type', 'param', 'value', 'lo', 'hi'],
  idx_quantity: ['res', 'type', 'param', 'value', 'lo', 'hi', 'system', 'code', 'unit'],
  idx_reference: ['res', 'type', 'param', 'target_type', 'target_id', 'url'],
  idx_uri: ['res', 'type', 'param', 'value'],
  compartment: ['patient', 'res'],
  refs: ['res', 'target_type', 'target_id', 'source_type'],
};

/** Removes every index row of a resource (before its new version's rows are written). */
export async function deleteIndex(tx: Queryable, seq: number): Promise<void> {
  for (const table of Object.keys(COLUMNS)) await tx.run(`DELETE FROM ${table} WHERE res = ?`, [seq]);
}

/** Removes the search rows of a deleted resource but keeps compartment and refs (its history stays in scope). */
export async function deleteSearchRows(tx: Queryable, seq: number): Promise<void> {
  for (const table of SEARCH_TABLES) await tx.run(`DELETE FROM ${table} WHERE res = ?`, [seq]);
}

/** The `patient` of the index rows of a resource in no patient compartment. */
const NO_PATIENT: readonly string[] = [''];

export class IndexBuffer {
  /** Per table, the queued rows' values one after the other (COLUMNS[table].length per row). */
  private readonly values = new Map<string, SqlValue[]>();
  private size = 0;

  constructor(private readonly tx: Queryable) {}

  /**
   * Queues a resource version's rows; writes them out when the buffer grows large. Token
   * and date rows are written once per patient compartment the resource is in (column
   * `patient`, '' for none: migration 013), for the patient-first indexes.
   */
  async add(seq: number, type: string, rows: IndexRows): Promise<void> {
    const patients = rows.compartments.length === 0 ? NO_PATIENT : rows.compartments.length === 1 ? rows.compartments : [...new Set(rows.compartments)];
    if (rows.tokens.length) {
      const v = this.list('idx_token', rows.tokens.length * patients.length);
      for (const p of patients) for (const r of rows.tokens) v.push(seq, type, r.param, r.system, r.code, r.text, p);
    }
    if (rows.strings.length) {
      const v = this.list('idx_string', rows.strings.length);
      for (const r of rows.strings) v.push(seq, type, r.param, r.value, r.exact);
    }
    if (rows.dates.length) {
      const v = this.list('idx_date', rows.dates.length * patients.length);
      for (const p of patients) for (const r of rows.dates) v.push(seq, type, r.param, r.lo, r.hi, p);
    }
    if (rows.numbers.length) {
      const v = this.list('idx_number', rows.numbers.length);
      for (const r of rows.numbers) v.push(seq, type, r.param, r.value, r.lo, r.hi);
    }
    if (rows.quantities.length) {
      const v = this.list('idx_quantity', rows.quantities.length);
      for (const r of rows.quantities) v.push(seq, type, r.param, r.value, r.lo, r.hi, r.system, r.code, r.unit);
    }
    if (rows.references.length) {
      const v = this.list('idx_reference', rows.references.length);
      for (const r of rows.references) v.push(seq, type, r.param, r.targetType, r.targetId, r.url);
    }
    if (rows.uris.length) {
      const v = this.list('idx_uri', rows.uris.length);
      for (const r of rows.uris) v.push(seq, type, r.param, r.value);
    }
    if (rows.compartments.length) {
      const v = this.list('compartment', patients.length);
      for (const p of patients) v.push(p, seq);
    }
    if (rows.refs.length) {
      const refs = new Map(rows.refs.map((r) => [`${r.targetType}/${r.targetId}`, r]));
      const v = this.list('refs', refs.size);
      for (const r of refs.values()) v.push(seq, r.targetType, r.targetId, type);
    }
    // Only whole chunks here: the last, partial one of each table waits for flush(), so
    // nearly every INSERT has the same shape (one prepared statement per table).
    if (this.size >= 20 * CHUNK) await this.write(false);
  }

  /** Writes every queued row. */
  async flush(): Promise<void> {
    await this.write(true);
  }

  private async write(all: boolean): Promise<void> {
    for (const [table, values] of this.values) {
      const width = COLUMNS[table].length;
      const rows = values.length / width;
      const whole = all ? rows : rows - (rows % CHUNK);
      for (let i = 0; i < whole; i += CHUNK) {
        const n = Math.min(CHUNK, whole - i);
        await this.tx.run(insertSql(table, n), values.slice(i * width, (i + n) * width));
      }
      if (whole === rows) this.values.delete(table);
      else if (whole > 0) this.values.set(table, values.slice(whole * width));
      this.size -= whole;
    }
  }

  private list(table: string, rows: number): SqlValue[] {
    this.size += rows;
    let v = this.values.get(table);
    if (!v) this.values.set(table, (v = []));
    return v;
  }
}

/** `INSERT INTO table (…) VALUES (?, …), …` for n rows; the same string each time, so statement caches hit. */
const sqlCache = new Map<string, string>();
function insertSql(table: string, n: number): string {
  const key = `${table} ${n}`;
  let sql = sqlCache.get(key);
  if (sql === undefined) {
    const columns = COLUMNS[table];
    const one = `(${columns.map(() => '?').join(', ')})`;
    sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(n).fill(one).join(', ')}`;
    if (sqlCache.size > 1000) sqlCache.clear();
    sqlCache.set(key, sql);
  }
  return sql;
}
