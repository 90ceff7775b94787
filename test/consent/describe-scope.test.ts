import { describe, expect, it } from 'vitest';
import { describeScope } from '../../src/consent/describe-scope.js';

const OBS = 'http://terminology.hl7.org/CodeSystem/observation-category';

/** Expected words written out by hand from the category list (src/consent/categories.ts). */
describe('describeScope: a granted scope in the patient\'s words', () => {
  for (const [scope, lines] of [
    ['patient/*.rs', ['Your whole record']],
    ['patient/*.read patient/Patient.rs', ['Your whole record']],
    ['patient/Patient.rs patient/RelatedPerson.rs', ['About you']],
    ['patient/Patient.read', ['About you: Your demographics']],
    ['patient/Condition.rs', ['Health problems']],
    [`patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item`, ['Health problems: Problem list']],
    [`patient/Observation.rs?category=${OBS}|laboratory`, ['Lab results and reports: Lab results']],
    [`patient/DiagnosticReport.rs patient/Specimen.rs patient/Observation.rs?category=${OBS}|laboratory`, ['Lab results and reports']],
    [`patient/Immunization.rs patient/AllergyIntolerance.rs patient/Observation.rs?category=${OBS}|vital-signs`, ['Vital signs', 'Allergies', 'Immunizations']],
    [
      'patient/Observation.rs',
      [
        'Lab results and reports: Lab results',
        'Vital signs',
        'Social history and screenings: Social history, Questionnaires and assessments, Social needs (food, housing, transport), Functional status, Disability status, Cognitive status',
        'Other clinical results',
      ],
    ],
    ['patient/Observation.rs?category=http://example.org/cat|custom', ['Observations (results, vital signs, assessments) in the category http://example.org/cat|custom']],
    ['openid fhirUser launch/patient', []],
    ['patient/Patient.write system/*.rs user/Observation.read', []],
  ] as Array<[string, string[]]>) {
    it(`${scope} → ${JSON.stringify(lines)}`, () => {
      expect(describeScope(scope).lines).toEqual(lines);
    });
  }

  it('tells lasting access (offline_access) and identity (openid, fhirUser) apart', () => {
    expect(describeScope('patient/*.rs')).toEqual({ lines: ['Your whole record'], lasting: false, identity: false });
    expect(describeScope('openid patient/*.rs offline_access')).toEqual({ lines: ['Your whole record'], lasting: true, identity: true });
    expect(describeScope('fhirUser patient/Patient.rs')).toMatchObject({ lasting: false, identity: true });
  });
});
