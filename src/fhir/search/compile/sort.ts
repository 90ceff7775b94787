import { MAX_TIME, MIN_TIME } from '../index-rows.js';
import type { SortKey } from '../query.js';
import type { Sql } from './sql.js';

/**
 * Sort key expressions (https://hl7.org/fhir/R4/search.html#_sort). A parameter with
 * several values sorts by its lowest value ascending and its highest descending (for
 * dates: the start of the range ascending, the end descending). Resources without a value
 * sort last in both directions: the missing value is replaced by a sentinel beyond every
 * real one, so NULL ordering (which differs between SQLite and PostgreSQL) never arises
 * and keyset comparisons stay plain.
 */
export function sortExpression(key: SortKey, alias: string): Sql {
  switch (key.kind) {
    case 'id': return { sql: `${alias}.id`, params: [] };
    case 'lastUpdated': return { sql: `${alias}.last_updated`, params: [] };
    case 'date':
      return key.desc ? sub('MAX(x.hi)', 'idx_date', key, alias, MIN_TIME - 1) : sub('MIN(x.lo)', 'idx_date', key, alias, MAX_TIME + 1);
    case 'number': case 'quantity': {
      const table = key.kind === 'number' ? 'idx_number' : 'idx_quantity';
      return sub(key.desc ? 'MAX(x.value)' : 'MIN(x.value)', table, key, alias, key.desc ? -Number.MAX_VALUE : Number.MAX_VALUE);
    }
    case 'string': return textSub('value', 'idx_string', key, alias);
    case 'token': return textSub('code', 'idx_token', key, alias);
    case 'uri': return textSub('value', 'idx_uri', key, alias);
  }
}

/** Text keys: '' is below every value (missing sorts last descending), U+FFFF above (ascending). */
function textSub(column: string, table: string, key: SortKey, alias: string): Sql {
  return sub(key.desc ? `MAX(x.${column})` : `MIN(x.${column})`, table, key, alias, key.desc ? '' : '\uffff\uffff');
}

/** `x.type` is implied by `x.res`; without it SQLite looks the row up by idx_*_res (see inIndex). */
function sub(agg: string, table: string, key: SortKey, alias: string, missing: number | string): Sql {
  return {
    sql: `COALESCE((SELECT ${agg} FROM ${table} x WHERE x.res = ${alias}.seq AND x.param = ?), ?)`,
    params: [key.param, missing],
  };
}
