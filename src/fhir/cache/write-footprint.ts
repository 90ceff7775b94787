import type { Queryable } from '../../db/db.js';
import { SHARED_TYPES } from '../scope.js';

/** The key of the version row that writes visible to every patient move (ids cannot hold `*`). */
export const EVERY_PATIENT = '*';

/** Keys upserted per statement (far below both drivers' parameter limits). */
const CHUNK = 500;

/**
 * What one store transaction's writes can change, for the result cache's versions
 * (migration 012): which patients' views, or every patient's view, or only staff's.
 *
 * A patient scope sees (src/fhir/scope.ts) its compartment, shared resources referenced
 * from it that sit in no compartment, and Provenance whose targets reach its compartment
 * and no other. So a resource version written to patient X's compartment changes what X
 * sees, nobody else's, provided that:
 *  - it is not a Provenance (whose visibility depends on its targets' compartments: every
 *    patient; kept simple, as a Provenance usually comes with a batch of writes anyway);
 *  - the resource was and stays in some compartment (a shared type that leaves or enters
 *    "no compartment" changes what other patients see: every patient);
 *  - if its compartments changed (created, or moved from one patient to another), no
 *    Provenance names it: a Provenance's visibility depends on its targets' compartments
 *    (every patient, checked once per transaction in `commit`).
 * Patients are those of the compartments before and after the write (a move touches
 * both). A resource in no compartment before and after, of a type that is neither shared
 * nor Provenance, is invisible to every patient scope (only staff results change).
 * Reads and chained searches apply the same predicate, so nothing else reaches a patient.
 */
export class WriteFootprint {
  changed = false;
  private every = false;
  private readonly patients = new Set<string>();
  /** Per type, ids whose compartments changed (checked for Provenance naming them). */
  private readonly moved = new Map<string, string[]>();

  /** One changed resource version, with its compartments (patient ids) before and after. */
  note(type: string, id: string, before: readonly string[], after: readonly string[]): void {
    this.changed = true;
    if (this.every) return;
    if (type === 'Provenance' || ((before.length === 0 || after.length === 0) && SHARED_TYPES.includes(type))) {
      this.every = true;
      return;
    }
    for (const p of before) this.patients.add(p);
    for (const p of after) this.patients.add(p);
    if (!sameSet(before, after)) {
      let ids = this.moved.get(type);
      if (!ids) this.moved.set(type, (ids = []));
      ids.push(id);
    }
  }

  /** Moves the versions; the last statements of the transaction (index rows already written). */
  async commit(q: Queryable): Promise<void> {
    if (!this.changed) return;
    if (!this.every && this.moved.size > 0) this.every = await namedByProvenance(q, this.moved);
    // Sorted, so concurrent transactions lock the rows in the same order (no deadlock on PostgreSQL).
    const keys = this.every ? [EVERY_PATIENT] : [...this.patients].sort();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const chunk = keys.slice(i, i + CHUNK);
      await q.run(
        `INSERT INTO fhir_cache_versions (k, v) VALUES ${chunk.map(() => '(?, 1)').join(', ')} ON CONFLICT (k) DO UPDATE SET v = fhir_cache_versions.v + 1`,
        chunk,
      );
    }
    await q.run('UPDATE fhir_data_version SET v = v + 1 WHERE id = 1');
  }
}

async function namedByProvenance(q: Queryable, moved: Map<string, string[]>): Promise<boolean> {
  for (const [type, ids] of moved) {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const hit = await q.get(
        `SELECT 1 AS x FROM refs f JOIN resources p ON p.seq = f.res WHERE f.target_type = ? AND f.target_id IN (${chunk.map(() => '?').join(', ')}) AND p.type = 'Provenance' LIMIT 1`,
        [type, ...chunk],
      );
      if (hit) return true;
    }
  }
  return false;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 && b.length === 0) return true;
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((p) => y.has(p));
}
