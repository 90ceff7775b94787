import type { Scope } from '../fhir/scope.js';
import type { PatientSubjectKind } from './subject.js';

/**
 * Who is calling the FHIR API. Every request resolves to a Principal or is refused with
 * 401 before any FHIR code runs; the principal's scope is what the store enforces, and
 * `permits` (src/auth/permissions.ts) says which interactions it may use on which types.
 */
export type Principal =
  | { readonly kind: 'staff'; readonly staffId: string; readonly username: string; readonly scope: Scope }
  | {
      readonly kind: 'patient';
      readonly patientId: string;
      /** The generated credential (key) or SMART grant the call was made with. */
      readonly credentialId: string;
      /** Which of the two credentialId is. */
      readonly subjectKind: PatientSubjectKind;
      readonly scope: Scope;
      /** SMART scopes granted (space-separated), limiting which resource types may be read. */
      readonly grantedScopes: string;
      /** For an access token: when it expires (ms since the epoch); no cache may trust it longer. */
      readonly expiresAt?: number;
    }
  | {
      /** A practice system (SMART Backend Services client): sees every patient, within its `system/` scopes. */
      readonly kind: 'system';
      readonly clientId: string;
      /** The registered client's display name (audit trail). */
      readonly clientName: string;
      readonly scope: Scope;
      /** `system/…` scopes granted (space-separated). */
      readonly grantedScopes: string;
      readonly expiresAt?: number;
    };

/** Thrown by authenticators; the FHIR surface renders 401 + WWW-Authenticate. */
export class AuthError extends Error {
  constructor(
    readonly code: 'missing' | 'invalid' | 'expired',
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface AuthRequest {
  readonly authorization?: string;
  readonly ip: string;
}

/** Resolves the Authorization header of a FHIR request to a principal, or throws AuthError. */
export type Authenticate = (req: AuthRequest) => Promise<Principal>;
