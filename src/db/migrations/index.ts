import { fhirSchema } from './001-fhir.js';
import { staffSchema } from './002-staff.js';
import { portalSchema } from './003-portal.js';
import { oauthSchema } from './004-oauth.js';
import { indexByResource } from './005-index-by-resource.js';
import { dropOauthTokens } from './006-drop-oauth-tokens.js';
import { dataVersion } from './007-data-version.js';
import { smartSchema } from './008-smart.js';
import { historySince } from './009-history-since.js';
import { bulkExport } from './010-bulk-export.js';
import { patientControls } from './011-patient-controls.js';
import { cacheVersions } from './012-cache-versions.js';
import { patientFirstIndex } from './013-patient-first-index.js';
import { grantSensitive } from './014-grant-sensitive.js';
import { resourceSensitivity } from './015-resource-sensitivity.js';
import { tokenStatistics } from './016-token-statistics.js';
import { accessLogAt } from './017-access-log-at.js';
import type { Migration } from './types.js';

/** Every migration, in the order applied. Append only; never edit a shipped one. */
export const migrations: readonly Migration[] = [fhirSchema, staffSchema, portalSchema, oauthSchema, indexByResource, dropOauthTokens, dataVersion, smartSchema, historySince, bulkExport, patientControls, cacheVersions, patientFirstIndex, grantSensitive, resourceSensitivity, tokenStatistics, accessLogAt];
