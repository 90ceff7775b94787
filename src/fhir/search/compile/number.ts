import type { Clause, NumberValue, QuantityValue } from '../query.js';
import { inIndex, join, sql, type CompileContext, type Sql } from './sql.js';

/**
 * Number and quantity search (https://hl7.org/fhir/R4/search.html#number,
 * #quantity). `eq` (and no prefix) matches stored values inside the implicit precision
 * range of the search value ("100" → [99.5, 100.5)); ne is its complement; gt/lt/ge/le
 * compare with the value itself (sa/eb behave as gt/lt for a single value); ap accepts
 * ±10% ("the recommended value for the approximation is 10% of the stated value").
 * Quantities are compared in the units given: no UCUM conversion.
 */
export function numberCondition(v: NumberValue, col: string): Sql {
  switch (v.prefix) {
    case 'eq': return sql(`(${col} >= ? AND ${col} < ?)`, [v.lo, v.hi]);
    case 'ne': return sql(`(${col} < ? OR ${col} >= ?)`, [v.lo, v.hi]);
    case 'gt': case 'sa': return sql(`${col} > ?`, [v.value]);
    case 'lt': case 'eb': return sql(`${col} < ?`, [v.value]);
    case 'ge': return sql(`${col} >= ?`, [v.value]);
    case 'le': return sql(`${col} <= ?`, [v.value]);
    case 'ap': {
      const d = Math.abs(v.value) * 0.1;
      return sql(`(${col} >= ? AND ${col} <= ?)`, [v.value - d, v.value + d]);
    }
  }
}

export function compileNumber(clause: Extract<Clause, { kind: 'number' }>, ctx: CompileContext): Sql {
  return inIndex(ctx, 'idx_number', clause.param, join(clause.values.map((v) => numberCondition(v, 'x.value')), 'OR'));
}

/** `number|system|code`: the system must match when given; a code alone matches code or unit (`number||mg`). */
export function compileQuantity(clause: Extract<Clause, { kind: 'quantity' }>, ctx: CompileContext): Sql {
  return inIndex(ctx, 'idx_quantity', clause.param, join(clause.values.map(quantityCondition), 'OR'));
}

function quantityCondition(v: QuantityValue): Sql {
  const parts = [numberCondition(v, 'x.value')];
  if (v.system !== undefined) parts.push(sql('x.system = ?', [v.system]));
  if (v.code !== undefined) parts.push(v.system !== undefined ? sql('x.code = ?', [v.code]) : sql('(x.code = ? OR x.unit = ?)', [v.code, v.code]));
  return join(parts, 'AND');
}
