/**
 * The shared practice directory: Organizations, Locations, Practitioners and
 * PractitionerRoles that every patient of a seed references. Ids are UUIDs drawn from the
 * seed's own stream, so they are stable for a seed and distinct between seeds.
 */
import { cc, profile, ref } from './fhir.js';
import { Rng } from './prng.js';
import { ID_SYSTEMS, type Bundle, type Code, type Reference, type Resource } from './types.js';

export type StaffKind =
  | 'family' | 'internal' | 'pediatrics' | 'cardiology' | 'obgyn' | 'emergency'
  | 'hospitalist' | 'radiology' | 'pathology' | 'nurse' | 'pharmacist';

export interface Staff {
  readonly kind: StaffKind;
  readonly id: string;
  readonly roleId: string;
  readonly display: string;
  readonly ref: Reference;
  readonly roleRef: Reference;
}

export interface Org {
  readonly id: string;
  readonly name: string;
  readonly ref: Reference;
}

export interface Directory {
  readonly bundle: Bundle;
  readonly practice: Org;
  readonly hospital: Org;
  readonly lab: Org;
  readonly pharmacy: Org;
  readonly payers: { readonly medicare: Org; readonly medicaid: Org; readonly commercial: readonly Org[] };
  readonly locations: { readonly clinic: Reference; readonly hospital: Reference; readonly ed: Reference; readonly lab: Reference; readonly pharmacy: Reference };
  readonly staff: Readonly<Record<StaffKind, readonly Staff[]>>;
}

/** [kind, given, family, NUCC taxonomy code, specialty display, role code] */
const STAFF: ReadonlyArray<readonly [StaffKind, string, string, string, string, string]> = [
  ['family', 'Ronald', 'Bone', '207Q00000X', 'Family Medicine Physician', 'doctor'],
  ['family', 'Kathy', 'Fielding', '207Q00000X', 'Family Medicine Physician', 'doctor'],
  ['internal', 'Samuel', 'Okoro', '207R00000X', 'Internal Medicine Physician', 'doctor'],
  ['internal', 'Lucia', 'Alvarez', '207R00000X', 'Internal Medicine Physician', 'doctor'],
  ['pediatrics', 'Hannah', 'Lindqvist', '208000000X', 'Pediatrics Physician', 'doctor'],
  ['pediatrics', 'Marcus', 'Reid', '208000000X', 'Pediatrics Physician', 'doctor'],
  ['cardiology', 'Anil', 'Mehta', '207RC0000X', 'Cardiovascular Disease Physician', 'doctor'],
  ['obgyn', 'Rachel', 'Goldberg', '207V00000X', 'Obstetrics & Gynecology Physician', 'doctor'],
  ['emergency', 'Tomas', 'Novak', '207P00000X', 'Emergency Medicine Physician', 'doctor'],
  ['hospitalist', 'Grace', 'Adeyemi', '208M00000X', 'Hospitalist', 'doctor'],
  ['radiology', 'Owen', 'Fitzgerald', '2085R0202X', 'Diagnostic Radiology Physician', 'doctor'],
  ['pathology', 'Ingrid', 'Sorensen', '207ZP0102X', 'Anatomic & Clinical Pathology Physician', 'doctor'],
  ['nurse', 'Denise', 'Carter', '163W00000X', 'Registered Nurse', 'nurse'],
  ['nurse', 'Paul', 'Kim', '163W00000X', 'Registered Nurse', 'nurse'],
  ['pharmacist', 'Doug', 'Dispenser', '183500000X', 'Pharmacist', 'pharmacist'],
];

/** NPI with its Luhn check digit over the prefix 80840 (CMS NPI check digit rule). */
export function npi(base9: string): string {
  const digits = ('80840' + base9).split('').map(Number);
  let sum = 0;
  for (let i = digits.length - 1, dbl = true; i >= 0; i--, dbl = !dbl) {
    let d = digits[i];
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return base9 + String((10 - (sum % 10)) % 10);
}

interface Address { line: string[]; city: string; state: string; postalCode: string; country: string }

const HQ: Address = { line: ['100 Riverside Medical Pkwy'], city: 'Springfield', state: 'MA', postalCode: '01103', country: 'US' };

const cache = new Map<number, Directory>();

/** The directory for `seed` (memoised: patients and the providers bundle share it). */
export function directory(seed: number): Directory {
  let dir = cache.get(seed);
  if (!dir) {
    dir = buildDirectory(seed);
    cache.set(seed, dir);
  }
  return dir;
}

function buildDirectory(seed: number): Directory {
  const rng = new Rng(`${seed}/providers`);
  const resources: Resource[] = [];
  const phone = (): string => `(413) 555-01${rng.digits(2)}`;

  const org = (name: string, type: Code, address: Address, withNpi: boolean, email: string): Org => {
    const id = rng.uuid();
    const identifier: unknown[] = [];
    if (withNpi) identifier.push({ system: 'http://hl7.org/fhir/sid/us-npi', value: npi('1' + rng.digits(8)) });
    identifier.push({ system: ID_SYSTEMS.clia, value: `22D${rng.digits(7)}` });
    resources.push({
      resourceType: 'Organization', id, meta: profile('us-core-organization'),
      identifier, active: true, type: [cc(type)], name,
      telecom: [{ system: 'phone', value: phone(), use: 'work' }, { system: 'email', value: email, use: 'work' }],
      address: [address],
    });
    return { id, name, ref: ref('Organization', id, name) };
  };
  const prov: Code = ['orgType', 'prov', 'Healthcare Provider'];
  const pay: Code = ['orgType', 'pay', 'Payer'];
  const practice = org('Riverside Family Health', prov, HQ, true, 'frontdesk@riverside-health.example');
  const hospital = org('Riverside General Hospital', prov, { ...HQ, line: ['759 Chestnut St'] }, true, 'info@riverside-general.example');
  const lab = org('Riverside Clinical Laboratory', prov, { ...HQ, line: ['120 Riverside Medical Pkwy'] }, true, 'lab@riverside-health.example');
  const pharmacy = org('Main Street Pharmacy', prov, { ...HQ, line: ['45 Main St'] }, true, 'rx@mainstreet-pharmacy.example');
  const payerAddr: Address = { line: ['7500 Security Blvd'], city: 'Baltimore', state: 'MD', postalCode: '21244', country: 'US' };
  const medicare = org('Centers for Medicare & Medicaid Services', pay, payerAddr, false, 'medicare@cms.example');
  const medicaid = org('MassHealth', pay, { line: ['100 Hancock St'], city: 'Quincy', state: 'MA', postalCode: '02171', country: 'US' }, false, 'members@masshealth.example');
  const commercial = [
    org('Acme Health Plan', pay, { line: ['1 Acme Plaza'], city: 'Hartford', state: 'CT', postalCode: '06103', country: 'US' }, false, 'members@acmehealth.example'),
    org('Blue Harbor Insurance', pay, { line: ['401 Harbor Way'], city: 'Boston', state: 'MA', postalCode: '02110', country: 'US' }, false, 'help@blueharbor.example'),
  ];

  const location = (name: string, type: Code, owner: Org, address: Address): Reference => {
    const id = rng.uuid();
    resources.push({
      resourceType: 'Location', id, meta: profile('us-core-location'),
      status: 'active', name, type: [cc(type)],
      telecom: [{ system: 'phone', value: phone(), use: 'work' }],
      address: { use: 'work', line: address.line, city: address.city, state: address.state, postalCode: address.postalCode, country: 'US' },
      managingOrganization: owner.ref,
    });
    return ref('Location', id, name);
  };
  const locations = {
    clinic: location('Riverside Family Health - Main Clinic', ['roleCode', 'OF', 'Outpatient facility'], practice, HQ),
    hospital: location('Riverside General Hospital - Inpatient', ['roleCode', 'HOSP', 'Hospital'], hospital, { ...HQ, line: ['759 Chestnut St'] }),
    ed: location('Riverside General Hospital - Emergency Department', ['roleCode', 'ER', 'Emergency room'], hospital, { ...HQ, line: ['759 Chestnut St'] }),
    lab: location('Riverside Clinical Laboratory', ['roleCode', 'HLAB', 'hospital laboratory'], lab, { ...HQ, line: ['120 Riverside Medical Pkwy'] }),
    pharmacy: location('Main Street Pharmacy', ['roleCode', 'PHARM', 'Pharmacy'], pharmacy, { ...HQ, line: ['45 Main St'] }),
  };

  const staff = {} as Record<StaffKind, Staff[]>;
  for (const [kind, given, family, taxonomy, specialty, role] of STAFF) {
    const id = rng.uuid();
    const roleId = rng.uuid();
    const creds = role === 'doctor' ? 'MD' : role === 'nurse' ? 'RN' : 'PharmD';
    const display = `${given} ${family}, ${creds}`;
    const email = `${given}.${family}@riverside-health.example`.toLowerCase();
    const inHospital = kind === 'emergency' || kind === 'hospitalist' || kind === 'radiology' || kind === 'pathology';
    resources.push({
      resourceType: 'Practitioner', id, meta: profile('us-core-practitioner'),
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: npi('1' + rng.digits(8)) }, { system: ID_SYSTEMS.staff, value: `S${rng.digits(5)}` }],
      active: true,
      name: [{ use: 'official', family, given: [given], ...(role === 'doctor' ? { prefix: ['Dr.'] } : {}), suffix: [creds] }],
      telecom: [{ system: 'phone', value: phone(), use: 'work' }, { system: 'email', value: email, use: 'work' }],
      address: [{ use: 'work', ...HQ }],
    });
    const organization = kind === 'pharmacist' ? pharmacy : inHospital ? hospital : practice;
    resources.push({
      resourceType: 'PractitionerRole', id: roleId, meta: profile('us-core-practitionerrole'),
      active: true,
      practitioner: ref('Practitioner', id, display),
      organization: organization.ref,
      code: [cc(['pracRole', role, role === 'doctor' ? 'Doctor' : role === 'nurse' ? 'Nurse' : 'Pharmacist'])],
      specialty: [cc(['nucc', taxonomy, specialty])],
      location: [kind === 'pharmacist' ? locations.pharmacy : inHospital ? (kind === 'emergency' ? locations.ed : locations.hospital) : locations.clinic],
      telecom: [{ system: 'phone', value: phone(), use: 'work' }, { system: 'email', value: email, use: 'work' }],
    });
    (staff[kind] ??= []).push({ kind, id, roleId, display, ref: ref('Practitioner', id, display), roleRef: ref('PractitionerRole', roleId, display) });
  }

  const bundle: Bundle = {
    resourceType: 'Bundle',
    id: new Rng(`${seed}/providers/bundle`).uuid(),
    type: 'transaction',
    entry: resources.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
  };
  return { bundle, practice, hospital, lab, pharmacy, payers: { medicare, medicaid, commercial }, locations, staff };
}
