/**
 * What the indexer extracts from one resource version, and what the search compiler
 * queries. This file is the contract between the write side (indexer) and the read side
 * (search compiler); both must follow the normalisation rules documented here and
 * implemented in normalize.ts.
 */

/** Epoch milliseconds standing for an open end of a range (FHIR Period without start/end). */
export const MIN_TIME = -8_640_000_000_000_000;
export const MAX_TIME = 8_640_000_000_000_000;

export interface TokenRow {
  param: string;
  /**
   * Coding.system / Identifier.system ('' when absent). Case kept. '' for ContactPoint and
   * primitives (code, boolean, string, uri): the R4 token table gives them no system
   * (https://hl7.org/fhir/R4/search.html#token).
   */
  system: string;
  /** Code / identifier value, lower-cased (token matching is case-insensitive here). '' when absent. */
  code: string;
  /** Display / CodeableConcept.text / Identifier.type.text, normalised with normalizeString; '' when none. For :text. */
  text: string;
}

export interface StringRow {
  param: string;
  /** normalizeString(value): lower case, accents removed, whitespace collapsed. */
  value: string;
  /** The value as written, for :exact. */
  exact: string;
}

/** A date, dateTime, instant or Period as a closed interval [lo, hi] in epoch ms. */
export interface DateRow {
  param: string;
  lo: number;
  hi: number;
}

export interface NumberRow {
  param: string;
  value: number;
  /** Implicit precision range of the value as written (e.g. 100 → [99.5, 100.5]). */
  lo: number;
  hi: number;
}

export interface QuantityRow extends NumberRow {
  system: string;
  /** Quantity.code, or unit when there is no code. Case kept (UCUM is case-sensitive). */
  code: string;
  unit: string;
}

export interface ReferenceRow {
  param: string;
  /** Type of a literal relative reference (`Patient/1` → Patient); '' when unknown. */
  targetType: string;
  /** Id of a literal reference; '' for a pure URL/canonical. */
  targetId: string;
  /** The reference string as written (absolute URL or canonical), '' when relative. */
  url: string;
}

export interface UriRow {
  param: string;
  value: string;
}

export interface IndexRows {
  tokens: TokenRow[];
  strings: StringRow[];
  dates: DateRow[];
  numbers: NumberRow[];
  quantities: QuantityRow[];
  references: ReferenceRow[];
  uris: UriRow[];
  /** Ids of the patients in whose compartment (R4 CompartmentDefinition/patient) this resource is. */
  compartments: string[];
  /** Every literal `Type/id` reference anywhere in the resource (for scope and _revinclude). */
  refs: { targetType: string; targetId: string }[];
}

export function emptyIndexRows(): IndexRows {
  return { tokens: [], strings: [], dates: [], numbers: [], quantities: [], references: [], uris: [], compartments: [], refs: [] };
}
