/**
 * The parsed form of a FHIR search (https://hl7.org/fhir/R4/search.html): what
 * `parseSearch` produces and the SQL compiler, executor and link builder consume.
 * Every value here is already validated and normalised; nothing in it is trusted SQL.
 */

/** https://hl7.org/fhir/R4/search.html#prefix */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** One `system|code` alternative; `system` undefined = any system, '' = no system. */
export interface TokenValue {
  system?: string;
  /** normalizeCode(code); undefined when only the system is given (`system|`). */
  code?: string;
}

export interface DateValue {
  prefix: Prefix;
  /** The closed interval [lo, hi] (epoch ms) the value denotes at its precision. */
  lo: number;
  hi: number;
}

export interface NumberValue {
  prefix: Prefix;
  value: number;
  /** Implicit precision range of the search value: [lo, hi). */
  lo: number;
  hi: number;
}

export interface QuantityValue extends NumberValue {
  system?: string;
  code?: string;
}

export type ReferenceValue =
  | { kind: 'local'; targetType?: string; id: string }
  | { kind: 'url'; url: string };

/** One AND-ed condition; the values inside a clause are OR-ed. */
export type Clause =
  | { kind: 'id'; not: boolean; ids: string[] }
  | { kind: 'lastUpdated'; values: DateValue[] }
  | { kind: 'missing'; table: IndexTable; param: string; missing: boolean }
  | { kind: 'token'; param: string; mode: 'code' | 'text' | 'not'; values: TokenValue[]; texts: string[] }
  | { kind: 'string'; param: string; mode: 'prefix' | 'exact' | 'contains'; values: string[] }
  | { kind: 'date'; param: string; values: DateValue[] }
  | { kind: 'number'; param: string; values: NumberValue[] }
  | { kind: 'quantity'; param: string; values: QuantityValue[] }
  /**
   * `compartment`: set by the parser when every resource the clause matches is in that
   * patient's compartment (`patient=X`, `subject=Patient/X`: see compartmentOfReference),
   * so the search may drive from the patient-first indexes.
   */
  | { kind: 'reference'; param: string; values: ReferenceValue[]; compartment?: string }
  | { kind: 'uri'; param: string; mode: 'exact' | 'below' | 'above'; values: string[] }
  /** `ref[:Type].param=value`: resources whose `ref` points at a target matching `inner` (per target type). */
  | { kind: 'chain'; param: string; targets: Array<{ type: string; inner: Clause }> };

export type IndexTable = 'idx_token' | 'idx_string' | 'idx_date' | 'idx_number' | 'idx_quantity' | 'idx_reference' | 'idx_uri';

/** What a sort key orders by. */
export type SortKind = 'id' | 'lastUpdated' | 'date' | 'string' | 'token' | 'number' | 'quantity' | 'uri';

export interface SortKey {
  /** The parameter code as given (`date`, `_id`, …). */
  param: string;
  kind: SortKind;
  desc: boolean;
}

/** `_include` / `_revinclude` (https://hl7.org/fhir/R4/search.html#include). */
export interface IncludeSpec {
  /** The resource type holding the reference. */
  sourceType: string;
  /** The reference parameter, or '*' for all of them. */
  param: string;
  /** Restricts the target type (`Type:param:Target`). */
  targetType?: string;
  iterate: boolean;
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';
export type TotalMode = 'none' | 'estimate' | 'accurate';

/** The keyset position after the last row of the previous page. */
export interface Cursor {
  /** Sort values of the last row, one per sort key. */
  values: Array<string | number>;
  seq: number;
}

export interface SearchQuery {
  resourceType: string;
  /** AND-ed conditions. */
  clauses: Clause[];
  /** Sort keys; the row `seq` is always the final, ascending tie-break. */
  sort: SortKey[];
  /** Page size, 0..MAX_COUNT. */
  count: number;
  includes: IncludeSpec[];
  revincludes: IncludeSpec[];
  summary?: SummaryMode;
  /** `_elements`: top-level element names to keep. */
  elements?: string[];
  total?: TotalMode;
  /** Position to resume from (the `_cursor` parameter of a `next` link). */
  cursor?: Cursor;
  /** Parameters that were ignored (unknown, unsupported), as human messages. */
  warnings: string[];
  /** The request's parameters except `_cursor`, in order: the base of the links. */
  params: Array<[string, string]>;
}

export const DEFAULT_COUNT = 50;
export const MAX_COUNT = 1000;
/** The parameter carrying the keyset cursor in `next` links. */
export const CURSOR_PARAM = '_cursor';
