import type { CredentialService } from '../auth/credentials.js';
import type { ServerKeys } from '../auth/server-key.js';
import { subjectKind } from '../auth/subject.js';
import { NO_PATIENT, SYSTEM_SUBJECT_PREFIX } from '../auth/tokens.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { clientAssertions, type ClientAssertions } from './client-assertion.js';
import { clientRegistry, type ClientRegistry } from './clients.js';
import { grantStore, type GrantStore } from './grants.js';
import { signingKeys, type SigningKeys } from './signing-keys.js';

/** The authorization server's state, reached through Services.oauth. */
export interface OAuthServices {
  readonly clients: ClientRegistry;
  readonly grants: GrantStore;
  readonly keys: SigningKeys;
  readonly assertions: ClientAssertions;
  /** Whether an access token's subject (credential, grant or system client) still works for that patient. */
  isLive(subject: string, patientId: string, issuedAt?: number): Promise<boolean>;
}

export function createOAuthServices(deps: { db: Db; config: Config; credentials: CredentialService; keys: ServerKeys; now?: () => number }): OAuthServices {
  const { db, credentials, now } = deps;
  const clients = clientRegistry(db, deps.keys.derive('oauth-client-secret-v1'), credentials, { now });
  const grants = grantStore(db, deps.keys.derive('oauth-grant-tokens-v1'), { now });
  // A deleted credential takes the SMART grants made with it along.
  credentials.onChange((change) => {
    if (change.kind === 'revoked') void grants.revokeForCredential(change.credentialId, 'credential-deleted').catch(() => undefined);
  });
  return {
    clients,
    grants,
    keys: signingKeys(db, { encryptionKey: deps.keys.derive('oauth-signing-keys-v1'), now }),
    assertions: clientAssertions(db, { tokenUrl: `${deps.config.publicUrl}/oauth/token`, now }),
    async isLive(subject, patientId, issuedAt) {
      const kind = subjectKind(subject);
      if (kind === 'system') return patientId === NO_PATIENT && clients.isLive(subject.slice(SYSTEM_SUBJECT_PREFIX.length));
      if (kind === 'grant') return grants.isLive(subject, patientId);
      return credentials.isLive(subject, patientId, issuedAt);
    },
  };
}
