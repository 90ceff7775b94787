import { scopePredicate } from '../../scope.js';
import type { Clause } from '../query.js';
import { compileDate, compileLastUpdated } from './date.js';
import { compileNumber, compileQuantity } from './number.js';
import { compileReference } from './reference.js';
import { inIndex, join, placeholders, sql, type CompileContext, type Sql } from './sql.js';
import { compileString } from './string.js';
import { compileToken } from './token.js';
import { compileUri } from './uri.js';

/** One AND-ed clause → a predicate over the `resources` row `ctx.alias`. */
export function compileClause(clause: Clause, ctx: CompileContext): Sql {
  switch (clause.kind) {
    case 'id':
      return sql(`${ctx.alias}.id ${clause.not ? 'NOT IN' : 'IN'} (${placeholders(clause.ids.length)})`, [...clause.ids]);
    case 'lastUpdated': return compileLastUpdated(clause, ctx);
    // https://hl7.org/fhir/R4/search.html#missing: true = no value indexed for the parameter.
    case 'missing': return inIndex(ctx, clause.table, clause.param, undefined, clause.missing);
    case 'token': return compileToken(clause, ctx);
    case 'string': return compileString(clause, ctx);
    case 'date': return compileDate(clause, ctx);
    case 'number': return compileNumber(clause, ctx);
    case 'quantity': return compileQuantity(clause, ctx);
    case 'reference': return compileReference(clause, ctx);
    case 'uri': return compileUri(clause, ctx);
    case 'chain': return compileChain(clause, ctx);
  }
}

/**
 * A chained parameter (https://hl7.org/fhir/R4/search.html#chaining): the reference must
 * point at a current resource of a target type that matches the inner clause and that
 * the scope may see (a chain must not reveal anything about resources out of scope).
 */
function compileChain(clause: Extract<Clause, { kind: 'chain' }>, ctx: CompileContext): Sql {
  const alias = `c${ctx.depth + 1}`;
  const targets = clause.targets.map(({ type, inner }) => {
    const innerCtx: CompileContext = { type, alias, scope: ctx.scope, depth: ctx.depth + 1, correlate: false, dialect: ctx.dialect };
    const scope = scopePredicate(ctx.scope, alias, type, ctx.dialect);
    const cond = compileClause(inner, innerCtx);
    return sql(
      `(x.target_type = ? AND x.target_id IN (SELECT ${alias}.id FROM resources ${alias} WHERE ${alias}.type = ? AND ${alias}.deleted = 0 AND ${scope.sql} AND ${cond.sql}))`,
      [type, type, ...scope.params, ...cond.params],
    );
  });
  return inIndex(ctx, 'idx_reference', clause.param, join(targets, 'OR'));
}

/** All clauses AND-ed ('1=1' when there are none); the first one drives (see inIndex). */
export function compileClauses(clauses: Clause[], ctx: CompileContext): Sql {
  if (clauses.length === 0) return sql('1=1');
  // On SQLite the plain form keeps its early stop at LIMIT (it walks the driving list in
  // order and stops after a page of matches); PostgreSQL gains from the nested one.
  const nested = ctx.dialect === 'postgres' ? nestedDriver(clauses, ctx) : undefined;
  if (nested) return nested;
  // Only the driving clause reads the patient-first index; the others check the candidate's own rows.
  return join(clauses.map((c, i) => compileClause(c, i === 0 ? { ...ctx, correlate: false } : { ...ctx, correlate: true, compartment: undefined })), 'AND');
}

/** Clauses that only look at index rows of the resource (not its id or lastUpdated columns). */
const onIndexRows = (c: Clause) => c.kind !== 'id' && c.kind !== 'lastUpdated';

/**
 * The driving clause's list of matches, filtered by the other index clauses inside the
 * subquery: `r.seq IN (SELECT d.seq FROM (<driver>) d WHERE EXISTS (… x.res = d.seq …))`.
 * PostgreSQL then checks every condition on index entries before it touches a resource
 * row; otherwise it fetched each candidate row (a patient's hundreds of Observations)
 * before testing its category. Undefined when the shape does not apply.
 */
function nestedDriver(clauses: Clause[], ctx: CompileContext): Sql | undefined {
  const [first, ...rest] = clauses;
  const filters = rest.filter(onIndexRows);
  if (filters.length === 0 || !onIndexRows(first)) return undefined;
  const driver = compileClause(first, { ...ctx, correlate: false });
  ctx = { ...ctx, compartment: undefined };
  const head = `${ctx.alias}.seq IN (SELECT x.res FROM `;
  if (!driver.sql.startsWith(head) || !driver.sql.endsWith(')')) return undefined;
  const inner = `SELECT x.res AS seq FROM ${driver.sql.slice(head.length, -1)}`;
  const checks = join(filters.map((c) => compileClause(c, { ...ctx, alias: 'd', correlate: true })), 'AND');
  const others = rest.filter((c) => !onIndexRows(c)).map((c) => compileClause(c, { ...ctx, correlate: true }));
  return join([sql(`${ctx.alias}.seq IN (SELECT d.seq FROM (${inner}) d WHERE ${checks.sql})`, [...driver.params, ...checks.params]), ...others], 'AND');
}
