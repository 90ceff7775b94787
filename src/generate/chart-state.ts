/** What the visit handlers remember about a patient between visits. */
import type { ChronicDef } from './clinical-data.js';
import type { Staff } from './providers.js';
import type { Code, Resource } from './types.js';
import type { ImmunizationState } from './immunizations.js';
import type { Growth } from './vitals.js';

export interface ChronicState {
  readonly def: ChronicDef;
  readonly onset: number;
  condition?: Resource;
  treated: boolean;
}

export interface ChartState {
  readonly growth: Growth;
  readonly imm: ImmunizationState;
  readonly chronic: ChronicState[];
  readonly smoking: Code;
  readonly related?: Resource;
  readonly specialists: Set<Staff>;
  /** Once-per-patient records already made. */
  readonly done: Set<string>;
  foodInsecurity?: Resource;
  /** Whether this patient screens positive for food insecurity. */
  readonly foodInsecure: boolean;
  lastVisit: number;
}
