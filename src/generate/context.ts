/** Per-patient generation state: the random stream, the clock, the bundle being built. */
import { fhirDate, fhirDateTime, fhirInstant } from './dates.js';
import { profile, ref } from './fhir.js';
import type { Rng } from './prng.js';
import type { Directory, Staff, StaffKind } from './providers.js';
import type { BundleEntry, Reference, Resource } from './types.js';

export type Sex = 'male' | 'female';

export interface Demographics {
  readonly sex: Sex;
  readonly birthMs: number;
  /** Set when the patient has died (after the last encounter). */
  readonly deathMs?: number;
  readonly given: string;
  readonly family: string;
  readonly display: string;
  readonly city: string;
  readonly state: string;
  readonly areaCode: string;
}

/** One encounter, as the clinical modules see it. */
export interface Visit {
  readonly id: string;
  readonly ref: Reference;
  readonly kind: VisitKind;
  readonly start: number;
  readonly end: number;
  readonly staff: Staff;
  readonly location: Reference;
  /** Resources recorded during the visit (for Provenance and notes). */
  readonly reasons: string[];
}

export type VisitKind = 'wellness' | 'followup' | 'acute' | 'emergency' | 'inpatient' | 'specialist' | 'procedure';

export class PatientContext {
  readonly entries: BundleEntry[] = [];
  /** Resources by type, in creation order. */
  readonly byType = new Map<string, Resource[]>();
  patientId = '';
  subject: Reference = {};
  demo!: Demographics;
  /** Primary care clinician for this patient. */
  pcp!: Staff;

  constructor(
    readonly rng: Rng,
    readonly index: number,
    /** Patient 0 of every seed carries every must-support element (see checklist §1c). */
    readonly full: boolean,
    readonly asOf: number,
    readonly dir: Directory,
  ) {}

  /** Local UTC offset in minutes of the patient's home (set with the address). */
  tz = -300;

  /** Adds a resource (id drawn from the stream) and returns it. `meta.profile` from `profileName`. */
  add(resourceType: string, profileName: string | null, body: Record<string, unknown>): Resource {
    const id = this.rng.uuid();
    return this.addWithId(resourceType, id, profileName, body);
  }

  addWithId(resourceType: string, id: string, profileName: string | null, body: Record<string, unknown>): Resource {
    const resource: Resource = profileName
      ? { resourceType, id, meta: profile(profileName), ...body }
      : { resourceType, id, ...body };
    this.entries.push({ fullUrl: `urn:uuid:${id}`, resource, request: { method: 'PUT', url: `${resourceType}/${id}` } });
    let list = this.byType.get(resourceType);
    if (!list) this.byType.set(resourceType, (list = []));
    list.push(resource);
    return resource;
  }

  refTo(resource: Resource, display?: string): Reference {
    return ref(resource.resourceType, resource.id, display);
  }

  dateTime(ms: number): string {
    return fhirDateTime(ms, this.tz);
  }

  instant(ms: number): string {
    return fhirInstant(ms, this.tz);
  }

  date(ms: number): string {
    return fhirDate(ms, this.tz);
  }

  staff(kind: StaffKind): Staff {
    return this.rng.pick(this.dir.staff[kind]);
  }
}
