import { randomUUID } from 'node:crypto';
import { resolvePatient } from '../accounts/patient-lookup.js';
import { everyPatient } from '../fhir/scope.js';
import type { FhirStore } from '../fhir/store/store.js';
import type { Resource } from '../fhir/store/types.js';

/**
 * Groups of patients to export (https://hl7.org/fhir/R4/group.html): ordinary FHIR Group
 * resources, made by `chartkey group add` and the admin page or imported like any other.
 * A Group-level export covers the Patients its active members point at.
 */

const PATIENT_REF = /^Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** The Patient ids of a Group's members (`member.entity`), leaving out members marked inactive. */
export function groupPatientIds(group: Resource): string[] {
  const members = Array.isArray(group.member) ? (group.member as unknown[]) : [];
  const ids = new Set<string>();
  for (const m of members) {
    if (!m || typeof m !== 'object') continue;
    const member = m as { entity?: { reference?: unknown }; inactive?: unknown };
    if (member.inactive === true) continue;
    const ref = member.entity?.reference;
    const match = typeof ref === 'string' ? PATIENT_REF.exec(ref) : null;
    if (match) ids.add(match[1]);
  }
  return [...ids];
}

export class GroupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GroupError';
  }
}

export type GroupMembersInput = { allPatients: true } | { patients: readonly string[] };

/**
 * Stores a new Group of the given patients (ids or `system|value` identifiers, each matching
 * exactly one Patient) or of every current patient, and returns its id. Membership is what
 * it is now: a patient added later is not in an `--all-patients` group made before.
 */
export async function createGroup(store: FhirStore, name: string, input: GroupMembersInput): Promise<{ id: string; members: number }> {
  const title = name.trim();
  if (!title) throw new GroupError('a group needs a name');
  if (title.length > 200) throw new GroupError('the group name is longer than 200 characters');
  let ids: string[];
  if ('allPatients' in input) {
    const every = everyPatient();
    ids = (await store.db.all<{ id: string }>(every.sql, every.params)).map((r) => r.id);
  } else {
    if (input.patients.length === 0) throw new GroupError('name at least one patient, or use --all-patients');
    ids = [];
    for (const ref of input.patients) {
      const found = await resolvePatient(store, ref);
      if ('error' in found) throw new GroupError(found.error);
      if (!ids.includes(found.id)) ids.push(found.id);
    }
  }
  const id = randomUUID();
  const group: Resource = {
    resourceType: 'Group',
    id,
    active: true,
    type: 'person',
    actual: true,
    name: title,
    quantity: ids.length,
    member: ids.map((p) => ({ entity: { reference: `Patient/${p}` } })),
  };
  await store.transaction((tx) => tx.put(group));
  return { id, members: ids.length };
}

export interface GroupSummary {
  id: string;
  name: string;
  members: number;
  lastUpdated: number;
}

/** Groups for the admin page, newest first. */
export async function listGroups(store: FhirStore, limit = 200): Promise<GroupSummary[]> {
  return (await store.latest('Group', limit)).map((r) => {
    const group = JSON.parse(r.json) as Resource;
    return { id: r.id, name: typeof group.name === 'string' ? group.name : '(no name)', members: groupPatientIds(group).length, lastUpdated: r.lastUpdated };
  });
}
