import type { AuditLog } from '../audit/audit-log.js';
import type { RegisterClient, OAuthClient } from './clients.js';
import type { Grant } from './grants.js';
import type { OAuthServices } from './services.js';

/**
 * The practice's verbs on connected apps, shared by `chartkey app …`, `chartkey keys
 * rotate`, the admin apps page and the staff patient page, so each change carries the
 * same side effects (grants revoked, audit) whoever makes it. Audit details hold ids,
 * names and types — never a client secret.
 */
export interface AppAdminDeps {
  oauth: OAuthServices;
  audit: AuditLog;
}

export interface AppActor {
  kind: 'staff' | 'system';
  /** Staff account id, or 'cli'. */
  id: string;
  ip?: string;
}

/** `staff:<id>` or `system:cli`: who revoked a grant (oauth_grants.revoked_by). */
const by = (actor: AppActor) => `${actor.kind}:${actor.id}`;

/** Registers an app. The secret (confidential clients) is returned once and is not kept in the clear anywhere. */
export async function registerApp(deps: AppAdminDeps, input: Omit<RegisterClient, 'createdBy'>, actor: AppActor): Promise<{ client: OAuthClient; clientSecret?: string }> {
  const result = await deps.oauth.clients.register({ ...input, createdBy: by(actor) });
  const { client } = result;
  await deps.audit.record({
    actorKind: actor.kind, actorId: actor.id, action: 'app.register', ip: actor.ip,
    detail: { client: client.clientId, name: client.name, type: client.type, ...(client.scope ? { scope: client.scope } : {}) },
  });
  return result;
}

/**
 * Removes a registered app and revokes every grant patients gave it, so its access and
 * refresh tokens die on their next use (system clients' tokens die with the client).
 * Undefined when no live registered app has that id.
 */
export async function removeApp(deps: AppAdminDeps, clientId: string, actor: AppActor): Promise<{ client: OAuthClient; grantsRevoked: number } | undefined> {
  const client = await deps.oauth.clients.remove(clientId);
  if (!client) return undefined;
  const revoked = await deps.oauth.grants.revokeForClient(client.clientId, by(actor));
  await deps.audit.record({
    actorKind: actor.kind, actorId: actor.id, action: 'app.remove', ip: actor.ip,
    detail: { client: client.clientId, name: client.name, type: client.type, grantsRevoked: revoked.length },
  });
  return { client, grantsRevoked: revoked.length };
}

/**
 * Revokes one of a patient's grants (the patient from the portal, or staff from the
 * patient page). `patientId` must own the grant; undefined when it does not or is gone.
 */
export async function revokeGrant(
  deps: AppAdminDeps,
  input: { grantId: string; patientId: string },
  actor: { kind: 'patient' | 'staff'; id: string; ip?: string },
): Promise<Grant | undefined> {
  const grant = await deps.oauth.grants.revoke(input.grantId, `${actor.kind}:${actor.id}`, input.patientId);
  if (grant) {
    await deps.audit.record({
      actorKind: actor.kind, actorId: actor.id, action: 'app.revoke', patientId: grant.patientId, credentialId: grant.id, ip: actor.ip,
      detail: { client: grant.clientId, name: grant.clientName },
    });
  }
  return grant;
}

/** Adds a new id_token signing key (the old one stays published until its tokens expire). */
export async function rotateSigningKeys(deps: AppAdminDeps, actor: AppActor): Promise<string> {
  const kid = await deps.oauth.keys.rotate();
  await deps.audit.record({ actorKind: actor.kind, actorId: actor.id, action: 'keys.rotate', ip: actor.ip, detail: { kid } });
  return kid;
}
