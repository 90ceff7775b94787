import type { Dialect } from '../db.js';

/** A migration: a stable id (never renamed once shipped) and its SQL for a dialect. */
export interface Migration {
  id: string;
  sql(dialect: Dialect): string;
}

/** Column types that differ between the dialects. */
export function types(dialect: Dialect) {
  return dialect === 'postgres'
    ? { seq: 'BIGSERIAL PRIMARY KEY', double: 'DOUBLE PRECISION', ctext: 'TEXT COLLATE "C"', blob: 'BYTEA' }
    : { seq: 'INTEGER PRIMARY KEY AUTOINCREMENT', double: 'REAL', ctext: 'TEXT', blob: 'BLOB' };
}
