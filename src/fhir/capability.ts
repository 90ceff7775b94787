import type { Config } from '../config/config.js';
import { API_TYPES, US_CORE_PROFILES } from './resource-types.js';
import type { SearchRegistry } from './search/types.js';

const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';

/**
 * The CapabilityStatement, generated from the same registry the indexer and the parser
 * use, so it lists exactly the search parameters that work
 * (https://hl7.org/fhir/R4/capabilitystatement.html, SMART: https://hl7.org/fhir/smart-app-launch/conformance.html).
 */
export function capabilityStatement(registry: SearchRegistry, config: Config) {
  const resources = API_TYPES.filter((t) => registry.resourceTypes().includes(t)).map((type) => {
    const params = [registry.get(type, '_id'), registry.get(type, '_lastUpdated'), ...registry.forType(type)].filter(
      (p): p is NonNullable<typeof p> => p !== undefined && p.type !== 'composite' && p.type !== 'special',
    );
    const includes = params.filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`);
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      supportedProfile: (US_CORE_PROFILES[type] ?? []).map((p) => (p.includes('/') ? p : US_CORE + p)),
      interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'history-instance' }, { code: 'search-type' }],
      versioning: 'versioned',
      readHistory: true,
      conditionalRead: 'not-match',
      searchInclude: includes,
      searchRevInclude: ['Provenance:target'],
      searchParam: params.map((p) => ({ name: p.code, definition: p.url, type: p.type })),
      ...(type === 'Patient'
        ? { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] }
        : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-26',
    publisher: 'ChartKey',
    kind: 'instance',
    software: { name: 'ChartKey', version: '0.1.0' },
    implementation: { description: 'ChartKey patient-access FHIR API', url: `${config.publicUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    instantiates: ['http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server'],
    implementationGuide: ['http://hl7.org/fhir/us/core/ImplementationGuide/hl7.fhir.us.core|6.1.0'],
    rest: [
      {
        mode: 'server',
        security: {
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${config.publicUrl}/oauth/authorize` },
                { url: 'token', valueUri: `${config.publicUrl}/oauth/token` },
                { url: 'introspect', valueUri: `${config.publicUrl}/oauth/introspect` },
                { url: 'revoke', valueUri: `${config.publicUrl}/oauth/revoke` },
              ],
            },
          ],
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description:
            'SMART App Launch 2.2 (standalone patient launch: authorization code + PKCE, OpenID Connect, refresh tokens, v1 and v2 granular scopes), ' +
            'SMART Backend Services (client_credentials + private_key_jwt) for practice systems, OAuth 2.0 client credentials with a patient-generated key and secret, or HTTP Basic with the same key and secret.',
        },
        resource: resources,
        interaction: [],
        operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }],
      },
    ],
  };
}
