/**
 * The one database interface. SQL is written once, with `?` placeholders and portable
 * syntax (TEXT, BIGINT, INSERT … ON CONFLICT, LIKE … ESCAPE '\'); each dialect adapter
 * translates placeholders and maps driver errors. Values only ever travel as parameters.
 */
export type Dialect = 'sqlite' | 'postgres';

/**
 * A reference's target id (index tables keep it `COLLATE "C"` on PostgreSQL) compared with
 * `resources.id` (the database's collation). Compared as they are, the comparison's
 * collation matches neither index, and PostgreSQL finds each target by scanning every
 * resource (8.6 s for one patient's $everything at 300 patients, found by `npm run soak`).
 * Equality is the same in every deterministic collation, so comparing in resources.id's
 * collation changes no result and lets the (type, id) key find the target.
 */
export function asResourceId(column: string, dialect: Dialect): string {
  return dialect === 'postgres' ? `${column} COLLATE "default"` : column;
}

/** Uint8Array (a Buffer): binary data for BLOB/BYTEA columns (Bulk export output). */
export type SqlValue = string | number | bigint | null | boolean | Uint8Array;

export interface Queryable {
  readonly dialect: Dialect;
  /** Rows of a statement. BIGINT columns come back as JS numbers on both dialects. */
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** First row or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement run for its effect; returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Db extends Queryable {
  /**
   * Runs `fn` in one transaction on a dedicated connection; commits when it resolves,
   * rolls back when it throws. Nested calls reuse the outer transaction.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs a multi-statement script (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Refreshes the planner's statistics after a bulk load. PostgreSQL plans badly on tables
   * it has not analysed yet (autovacuum catches up only later), and VACUUM sets the
   * visibility map so index lookups are index-only (no heap visit per index entry); on
   * SQLite it does nothing: our SQL is written for SQLite's statistics-free planner.
   */
  analyze(): Promise<void>;
  /** True when the database answers (readiness). */
  ping(): Promise<boolean>;
  /** What is wrong with the database's own configuration for a long-running server (logged at start-up); empty on SQLite, whose settings ChartKey makes itself. */
  configurationWarnings(): Promise<string[]>;
  close(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Lifts the statement and read timeouts that bound the server's queries (migrations on a
   * large database may run for minutes). PostgreSQL only; SQLite has no such timeouts.
   */
  unbounded?: boolean;
}

/** A driver error mapped to something the rest of the code can act on. */
export class DbError extends Error {
  constructor(
    readonly code: 'unique_violation' | 'serialization_failure' | 'unavailable' | 'storage_full',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DbError';
  }
}

/**
 * The DbError behind an error, if any: the error itself or one of its causes (the
 * importer and other layers wrap driver errors with context).
 */
export function findDbError(err: unknown): DbError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DbError) return e;
  }
  return undefined;
}
