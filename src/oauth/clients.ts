import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import type { CredentialService } from '../auth/credentials.js';
import { randomAlphanumeric } from '../auth/random-string.js';
import type { Db } from '../db/db.js';

/**
 * OAuth clients (SPEC "Connected apps", "Practice systems"). Two sources, one shape:
 *
 * - apps the practice registers (`oauth_clients`): `public` (PKCE, no secret),
 *   `confidential` (client_secret, stored as a keyed hash), `asymmetric`
 *   (private_key_jwt against a JWKS URL or an inline JWKS) and `system` (Backend Services:
 *   private_key_jwt, `client_credentials` only, with the `system/` scopes it may have);
 * - a patient's generated API credential: a confidential client whose client_id is the
 *   key, whose secret is the credential's, and whose redirect URIs are those the patient
 *   typed. It can only ever act for that patient.
 */
export type ClientType = 'public' | 'confidential' | 'asymmetric' | 'system';

export interface OAuthClient {
  clientId: string;
  name: string;
  type: ClientType;
  redirectUris: string[];
  jwksUrl?: string;
  jwks?: JSONWebKeySet;
  /** System clients: the scopes they may be granted (space-separated). */
  scope?: string;
  createdAt: number;
  /** Set when the client is a patient's generated credential (with, under Patient controls, the scope string it was narrowed to). */
  credential?: { credentialId: string; patientId: string; grantedScope?: string };
}

export class ClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientError';
  }
}

export interface RegisterClient {
  name: string;
  type: ClientType;
  redirectUris?: string[];
  jwksUrl?: string;
  jwks?: string;
  scope?: string;
  createdBy: string;
}

interface Row {
  client_id: string;
  name: string;
  client_type: ClientType;
  secret_hash: string | null;
  redirect_uris: string;
  jwks_url: string | null;
  jwks: string | null;
  scope: string | null;
  created_at: number;
}

const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;
export const DEFAULT_SYSTEM_SCOPE = 'system/*.rs';
const SYSTEM_SCOPE = /^system\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)$/;

/** An absolute redirect URI (https, or http only for loopback), no fragment (RFC 6749 §3.1.2). */
export function checkRedirectUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ClientError(`Redirect URI "${uri.slice(0, 100)}" is not an absolute URL`);
  }
  if (uri.length > 2000) throw new ClientError('Redirect URIs may be at most 2000 characters');
  if (url.hash || uri.includes('#')) throw new ClientError('Redirect URIs may not contain a fragment');
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback) && !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)) {
    // https, http on loopback, or a private-use scheme of a native app (reverse domain: com.example.app:).
    throw new ClientError(`Redirect URI "${uri.slice(0, 100)}" must use https (http only on localhost), or a native app's reverse-domain scheme`);
  }
  return uri;
}

function checkJwks(text: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ClientError('The JWKS is not valid JSON');
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ClientError('The JWKS must have a non-empty "keys" array');
  for (const k of keys as Array<Record<string, unknown>>) {
    if (typeof k !== 'object' || k === null || (k.kty !== 'RSA' && k.kty !== 'EC')) throw new ClientError('Every JWKS key must be an RSA or EC key');
    if ('d' in k || 'p' in k) throw new ClientError('The JWKS holds a private key: register only the public keys');
  }
  return parsed as JSONWebKeySet;
}

export function clientRegistry(db: Db, hmacKey: Buffer, credentials: CredentialService, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const hash = (secret: string) => createHmac('sha256', hmacKey).update(secret, 'utf8').digest();
  const decoy = hash(randomAlphanumeric(32));

  /** A registered client's secret, compared in constant time (with the decoy when there is no row). */
  const storedSecretMatches = async (clientId: string, secret: string): Promise<boolean> => {
    const row = await db.get<{ secret_hash: string | null }>('SELECT secret_hash FROM oauth_clients WHERE client_id = ? AND removed_at IS NULL', [clientId]);
    const presented = hash(secret);
    const stored = row?.secret_hash ? Buffer.from(row.secret_hash, 'base64') : decoy;
    return timingSafeEqual(stored, presented) && Boolean(row?.secret_hash);
  };

  const toClient = (r: Row): OAuthClient => ({
    clientId: r.client_id,
    name: r.name,
    type: r.client_type,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    jwksUrl: r.jwks_url ?? undefined,
    jwks: r.jwks ? (JSON.parse(r.jwks) as JSONWebKeySet) : undefined,
    scope: r.scope ?? undefined,
    createdAt: Number(r.created_at),
  });

  return {
    /** Registers an app. The returned secret (confidential clients) is the only copy in the clear: show it once. */
    async register(input: RegisterClient): Promise<{ client: OAuthClient; clientSecret?: string }> {
      const name = input.name.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
      if (!name || name.length > 80) throw new ClientError('An app needs a name of at most 80 characters');
      const redirectUris = [...new Set((input.redirectUris ?? []).map((u) => checkRedirectUri(u.trim())))];
      if (input.type !== 'system' && redirectUris.length === 0) throw new ClientError('A launching app needs at least one redirect URI');
      if (input.type === 'system' && redirectUris.length > 0) throw new ClientError('A system client does not launch: it takes no redirect URI');
      const asymmetric = input.type === 'asymmetric' || input.type === 'system';
      if (asymmetric && !input.jwksUrl === !input.jwks) throw new ClientError('An asymmetric or system client needs exactly one of a JWKS URL or a JWKS');
      if (!asymmetric && (input.jwksUrl || input.jwks)) throw new ClientError('Only asymmetric and system clients take a JWKS');
      if (input.jwksUrl) {
        const url = (() => {
          try {
            return new URL(input.jwksUrl!);
          } catch {
            throw new ClientError('The JWKS URL is not an absolute URL');
          }
        })();
        if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))) {
          throw new ClientError('The JWKS URL must use https (http only on localhost)');
        }
      }
      const jwks = input.jwks ? JSON.stringify(checkJwks(input.jwks)) : null;
      let scope: string | null = null;
      if (input.type === 'system') {
        const items = (input.scope ?? DEFAULT_SYSTEM_SCOPE).split(/\s+/).filter(Boolean);
        const bad = items.find((s) => !SYSTEM_SCOPE.test(s));
        if (bad || items.length === 0) throw new ClientError(`"${(bad ?? '').slice(0, 80)}" is not a system scope (system/Type.rs, system/*.cruds, system/*.read, …)`);
        scope = [...new Set(items)].join(' ');
      } else if (input.scope) {
        throw new ClientError('Only system clients are registered with scopes; patients choose what a launching app gets');
      }
      const clientId = `app_${randomAlphanumeric(24)}`;
      const clientSecret = input.type === 'confidential' ? randomAlphanumeric(48) : undefined;
      const row: Row = {
        client_id: clientId,
        name,
        client_type: input.type,
        secret_hash: clientSecret ? hash(clientSecret).toString('base64') : null,
        redirect_uris: JSON.stringify(redirectUris),
        jwks_url: input.jwksUrl ?? null,
        jwks,
        scope,
        created_at: now(),
      };
      await db.run(
        'INSERT INTO oauth_clients (client_id, name, client_type, secret_hash, redirect_uris, jwks_url, jwks, scope, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [row.client_id, row.name, row.client_type, row.secret_hash, row.redirect_uris, row.jwks_url, row.jwks, row.scope, row.created_at, input.createdBy],
      );
      return { client: toClient(row), clientSecret };
    },

    /** Registered apps (not patient credentials), oldest first. */
    async list(): Promise<OAuthClient[]> {
      const rows = await db.all<Row>('SELECT * FROM oauth_clients WHERE removed_at IS NULL ORDER BY created_at, client_id');
      return rows.map(toClient);
    },

    /** Removes a registered app; its grants are revoked by the caller (grants.revokeForClient). */
    async remove(clientId: string): Promise<OAuthClient | undefined> {
      const row = await db.get<Row>('SELECT * FROM oauth_clients WHERE client_id = ? AND removed_at IS NULL', [clientId]);
      if (!row) return undefined;
      await db.run('UPDATE oauth_clients SET removed_at = ? WHERE client_id = ? AND removed_at IS NULL', [now(), clientId]);
      return toClient(row);
    },

    /** A live client by id: a registered app, or a patient's live credential (client_id = key). */
    async get(clientId: string): Promise<OAuthClient | undefined> {
      if (!CLIENT_ID.test(clientId)) return undefined;
      const row = await db.get<Row>('SELECT * FROM oauth_clients WHERE client_id = ? AND removed_at IS NULL', [clientId]);
      if (row) return toClient(row);
      const cred = await credentials.asClient(clientId);
      if (!cred) return undefined;
      return {
        clientId,
        name: cred.name,
        type: 'confidential',
        redirectUris: cred.redirectUris,
        createdAt: cred.createdAt,
        credential: { credentialId: cred.credentialId, patientId: cred.patientId },
      };
    },

    /**
     * Whether `secret` is this confidential client's secret (constant time; an unknown
     * client costs the same). A credential's secret is checked by the credential service.
     */
    async verifySecret(client: OAuthClient, secret: string): Promise<boolean> {
      if (client.type !== 'confidential') return false;
      if (client.credential) return (await credentials.verify(client.clientId, secret))?.credentialId === client.credential.credentialId;
      return storedSecretMatches(client.clientId, secret);
    },

    /**
     * For a client id that names no client: the work of checking a registered client's
     * secret (the lookup, the keyed hash, the constant-time comparison, against the decoy
     * when no row is found), so an unknown id cannot be told from a wrong secret by timing.
     * Always false.
     */
    async rejectUnknownClient(clientId: string, secret: string): Promise<false> {
      await storedSecretMatches(clientId, secret);
      return false;
    },

    /** Whether a system client is still registered (its tokens die with it). */
    async isLive(clientId: string): Promise<boolean> {
      return Boolean(await db.get('SELECT 1 AS ok FROM oauth_clients WHERE client_id = ? AND removed_at IS NULL', [clientId]));
    },
  };
}

export type ClientRegistry = ReturnType<typeof clientRegistry>;
