/** Patient demographics (US Core Patient 6.1.0) and the patient's RelatedPerson. */
import type { Demographics, PatientContext, Sex } from './context.js';
import { DAY, YEAR } from './dates.js';
import { cc, coding, ref } from './fhir.js';
import { FAMILY, GIVEN_FEMALE, GIVEN_MALE, LANGUAGES, PLACES, RACES, STREETS, SUFFIXES, TRIBES } from './names.js';
import { ID_SYSTEMS, type Code, type Resource } from './types.js';

const EXT = 'http://hl7.org/fhir/us/core/StructureDefinition/';

/** Rough US age structure (band start, band end, weight). */
const AGE_BANDS: ReadonlyArray<readonly [readonly [number, number], number]> = [
  [[0, 4], 6], [[5, 17], 16], [[18, 34], 23], [[35, 49], 19], [[50, 64], 19], [[65, 79], 13], [[80, 95], 4],
];

export function createPatient(ctx: PatientContext): Resource {
  const { rng, asOf, full } = ctx;
  const sex: Sex = full ? 'female' : rng.chance(0.51) ? 'female' : 'male';
  const [lo, hi] = full ? [20, 20] : rng.weighted(AGE_BANDS);
  const birthMs = Math.floor(asOf - (lo + rng.next() * (hi - lo + 1)) * YEAR - rng.int(1, 300) * DAY / 10);
  const birthDay = Math.floor(birthMs / DAY) * DAY + 12 * 3600_000;
  const age = (asOf - birthDay) / YEAR;
  const deceased = full || (age > 70 && rng.chance(0.04));
  const deathMs = deceased ? asOf - rng.int(8, 20) * DAY : undefined;

  const given = rng.pick(sex === 'female' ? GIVEN_FEMALE : GIVEN_MALE);
  const middle = rng.pick(sex === 'female' ? GIVEN_FEMALE : GIVEN_MALE);
  const family = rng.pick(FAMILY);
  const suffix = full ? 'II' : sex === 'male' && age > 18 && rng.chance(0.06) ? rng.pick(SUFFIXES) : undefined;
  const [city, state, zip, areaCode, tzStd] = full ? PLACES[0] : rng.pick(PLACES);
  ctx.tz = tzStd;
  const display = `${given} ${middle[0]}. ${family}${suffix ? ' ' + suffix : ''}`;
  ctx.demo = { sex, birthMs: birthDay, deathMs, given, family, display, city, state, areaCode };
  const id = rng.uuid();
  ctx.patientId = id;
  ctx.subject = ref('Patient', id, display);
  ctx.pcp = age < 18 ? ctx.staff('pediatrics') : ctx.staff(rng.chance(0.5) ? 'family' : 'internal');

  const race = full ? RACES[3] : rng.weighted(RACES.map((r) => [r, r[2]] as const));
  const hispanic = full ? true : rng.chance(0.18);
  const lang = full ? LANGUAGES[0] : hispanic && rng.chance(0.45) ? LANGUAGES[1] : rng.weighted(LANGUAGES.map((l) => [l, l[2]] as const));
  const extension: unknown[] = [
    {
      url: EXT + 'us-core-race',
      extension: [
        { url: 'ombCategory', valueCoding: coding('cdcrec', race[0], race[1]) },
        { url: 'text', valueString: race[1] },
      ],
    },
    {
      url: EXT + 'us-core-ethnicity',
      extension: [
        { url: 'ombCategory', valueCoding: hispanic ? coding('cdcrec', '2135-2', 'Hispanic or Latino') : coding('cdcrec', '2186-5', 'Not Hispanic or Latino') },
        { url: 'text', valueString: hispanic ? 'Hispanic or Latino' : 'Not Hispanic or Latino' },
      ],
    },
  ];
  if (race[0] === '1002-5') {
    const tribe = rng.pick(TRIBES);
    extension.push({
      url: EXT + 'us-core-tribal-affiliation',
      extension: [
        { url: 'tribalAffiliation', valueCodeableConcept: cc(['tribal', tribe[0], tribe[1]]) },
        { url: 'isEnrolled', valueBoolean: rng.chance(0.7) },
      ],
    });
  }
  extension.push({ url: EXT + 'us-core-birthsex', valueCode: sex === 'female' ? 'F' : 'M' });
  extension.push({ url: EXT + 'us-core-sex', valueCode: sex === 'female' ? '248152002' : '248153007' });

  const mrn = String(100000 + ctx.index).padStart(7, '0');
  const phone = `(${areaCode}) 555-0${rng.digits(3)}`;
  const email = `${given}.${family}${rng.int(1, 99)}@example.com`.toLowerCase().replace(/'/g, '');
  const movedIn = Math.max(birthDay, asOf - rng.int(1, 15) * YEAR);
  const moved = full || (movedIn > birthDay + YEAR && rng.chance(0.4));
  const address: unknown[] = [{
    use: 'home', type: 'both',
    line: [`${rng.int(1, 9899)} ${rng.pick(STREETS)}`, ...(rng.chance(0.2) ? [`Apt ${rng.int(1, 40)}`] : [])],
    city, state, postalCode: zip, country: 'US', period: { start: ctx.date(movedIn) },
  }];
  if (moved) {
    address.push({
      use: 'old', type: 'both', line: [`${rng.int(1, 9899)} ${rng.pick(STREETS)}`], city, state, postalCode: zip, country: 'US',
      period: { start: ctx.date(Math.max(birthDay, movedIn - rng.int(2, 8) * YEAR)), end: ctx.date(movedIn - DAY) },
    });
  }
  const names: unknown[] = [{ use: 'official', family, given: [given, middle], ...(suffix ? { suffix: [suffix] } : {}), period: { start: ctx.date(birthDay) } }];
  if (full || (sex === 'female' && age > 25 && rng.chance(0.3))) {
    const maiden = rng.pick(FAMILY);
    (names[0] as { period: unknown }).period = { start: ctx.date(asOf - rng.int(2, 10) * YEAR) };
    names.push({ use: full ? 'old' : 'maiden', family: maiden, given: [given, middle], period: { start: ctx.date(birthDay), end: ctx.date(asOf - 2 * YEAR) } });
  }
  const telecom: unknown[] = [
    { system: 'phone', value: phone, use: age >= 14 ? 'mobile' : 'home', rank: 1 },
    { system: 'email', value: email, use: 'home' },
  ];
  if (rng.chance(0.3)) telecom.push({ system: 'phone', value: `(${areaCode}) 555-0${rng.digits(3)}`, use: 'work' });

  const body: Record<string, unknown> = {
    extension,
    identifier: [
      { use: 'usual', type: cc(['v20203', 'MR', 'Medical Record Number']), system: ID_SYSTEMS.mrn, value: mrn },
      { use: 'official', type: cc(['v20203', 'SS', 'Social Security number']), system: 'http://hl7.org/fhir/sid/us-ssn', value: `999-${rng.digits(2)}-${rng.digits(4)}` },
    ],
    active: true,
    name: names,
    telecom,
    gender: sex,
    birthDate: ctx.date(birthDay),
    ...(deathMs !== undefined ? { deceasedDateTime: ctx.dateTime(deathMs) } : {}),
    address,
    maritalStatus: age < 18 ? cc(['nullFlavor', 'UNK', 'unknown']) : cc(maritalStatus(rng.int(0, 9))),
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: lang[0], display: lang[1] }], text: lang[1] }, preferred: true }],
    generalPractitioner: [ctx.pcp.ref],
    managingOrganization: ctx.dir.practice.ref,
  };
  return ctx.addWithId('Patient', id, 'us-core-patient', body);
}

function maritalStatus(n: number): Code {
  const codes: Array<[string, string]> = [['M', 'Married'], ['M', 'Married'], ['M', 'Married'], ['S', 'Never Married'], ['S', 'Never Married'], ['D', 'Divorced'], ['W', 'Widowed'], ['M', 'Married'], ['S', 'Never Married'], ['D', 'Divorced']];
  const [code, display] = codes[n];
  return ['v3Marital', code, display];
}

/** A parent for minors, otherwise often a spouse or adult child (US Core RelatedPerson). */
export function createRelatedPerson(ctx: PatientContext): Resource | undefined {
  const { rng, demo, asOf } = ctx;
  const age = (asOf - demo.birthMs) / YEAR;
  if (!ctx.full && age >= 18 && !rng.chance(0.6)) return undefined;
  const female = rng.chance(0.5);
  const rel = age < 18 ? (female ? ['MTH', 'mother'] : ['FTH', 'father'])
    : ctx.full ? (female ? ['MTH', 'mother'] : ['FTH', 'father'])
    : age > 65 ? (female ? ['DAU', 'natural daughter'] : ['SON', 'natural son'])
    : ['SPS', 'spouse'];
  const given = rng.pick(female ? GIVEN_FEMALE : GIVEN_MALE);
  const family = rel[0] === 'SPS' && rng.chance(0.5) ? rng.pick(FAMILY) : demo.family;
  const patient = ctx.byType.get('Patient')![0] as unknown as { address: Array<Record<string, unknown>> };
  const home = patient.address[0];
  return ctx.add('RelatedPerson', 'us-core-relatedperson', {
    active: true,
    patient: ctx.subject,
    relationship: [cc(['roleCode', rel[0], rel[1]])],
    name: [{ use: 'official', family, given: [given] }],
    telecom: [{ system: 'phone', value: `(${demo.areaCode}) 555-0${rng.digits(3)}`, use: 'mobile' }, { system: 'email', value: `${given}.${family}@example.com`.toLowerCase().replace(/'/g, ''), use: 'home' }],
    gender: female ? 'female' : 'male',
    address: [{ use: 'home', line: home.line, city: home.city, state: home.state, postalCode: home.postalCode, country: 'US' }],
  });
}
