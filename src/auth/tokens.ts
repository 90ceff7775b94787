import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

/** At most one hour (SPEC): https://www.rfc-editor.org/rfc/rfc6749#section-4.4.3 leaves lifetime to the server. */
export const TOKEN_TTL_SECONDS = 3600;

/** Versioned prefix: a token of another format (or a later version) never parses as this one. */
export const TOKEN_PREFIX = 'ck1_';

/** The purpose the signing key is derived for (`serverKeys.derive`); a new format gets a new purpose. */
export const TOKEN_KEY_PURPOSE = 'access-token-v1';

/** Longest granted scope string a token carries (the token endpoint refuses longer ones with invalid_scope). */
export const MAX_SCOPE_LENGTH = 4096;

/**
 * What a token's subject (the "credential id" field) names:
 * - a patient credential's id (a UUID): the seed flow's client_credentials tokens;
 * - `g-…`: a SMART grant the patient made at the consent page (src/oauth/grants.ts);
 * - `sys:` + client_id: a practice system (Backend Services); its patient field is `*`.
 * `TokenServiceDeps.isLive` is asked about each on every use.
 */
export const SYSTEM_SUBJECT_PREFIX = 'sys:';
export const NO_PATIENT = '*';
export const systemSubject = (clientId: string) => `${SYSTEM_SUBJECT_PREFIX}${clientId}`;

/** Longest id (credential, patient) a token carries: FHIR ids are at most 64 characters. */
const MAX_ID_LENGTH = 64;

// Payload layout (version 1), all integers big-endian:
//   0..5   issued at, ms since the epoch (uint48)
//   6..11  expires at, ms since the epoch (uint48)
//   12..27 jti: 16 random bytes, so two tokens are never equal
//   28     credential id length n (1..64), then n bytes of UTF-8
//          patient id length m (1..64), then m bytes of UTF-8
//          scope length s (uint16, 1..MAX_SCOPE_LENGTH), then s bytes of UTF-8 — and nothing after.
const FIXED = 28;
const JTI_BYTES = 16;
const MAX_PAYLOAD = FIXED + 1 + MAX_ID_LENGTH + 1 + MAX_ID_LENGTH + 2 + MAX_SCOPE_LENGTH;
const MIN_PAYLOAD = FIXED + 1 + 1 + 1 + 1 + 2 + 1;
const b64len = (bytes: number) => Math.ceil((bytes * 4) / 3);
const MAC_CHARS = 43; // base64url of 32 bytes, unpadded

/** Longest token `issue` can produce; anything longer is refused before any work. */
export const MAX_TOKEN_LENGTH = TOKEN_PREFIX.length + b64len(MAX_PAYLOAD) + 1 + MAC_CHARS;

/**
 * CSPRNG output drawn 4 KiB at a time, as crypto.randomUUID does: a call per 16 bytes cost
 * ~5 % of the token endpoint's CPU. Every jti takes 16 bytes no other jti gets.
 */
const jtiPool = Buffer.alloc(JTI_BYTES * 256);
let jtiAt = jtiPool.length;
function writeJti(target: Buffer, at: number): void {
  if (jtiAt === jtiPool.length) {
    randomFillSync(jtiPool);
    jtiAt = 0;
  }
  jtiPool.copy(target, at, jtiAt, (jtiAt += JTI_BYTES));
}

const TOKEN_SHAPE = new RegExp(`^${TOKEN_PREFIX}([A-Za-z0-9_-]{${b64len(MIN_PAYLOAD)},${b64len(MAX_PAYLOAD)}})\\.[A-Za-z0-9_-]{${MAC_CHARS}}$`);

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
  patientId: string;
}

export interface TokenOwner {
  credentialId: string;
  patientId: string;
  scope: string;
  issuedAt: number;
  expiresAt: number;
}

export interface TokenServiceDeps {
  /** HMAC-SHA-256 key: `serverKeys.derive(TOKEN_KEY_PURPOSE)`, the same on every instance sharing the database. */
  key: Buffer;
  /** Whether the credential still works for that patient (not deleted, not suspended, portal account active). */
  isLive(credentialId: string, patientId: string): Promise<boolean>;
  now?: () => number;
}

/**
 * Self-contained signed bearer tokens: `ck1_` + base64url(payload) + "." +
 * base64url(HMAC-SHA-256(key, "ck1_" + base64url(payload))). Issuing writes nothing; the
 * payload names the credential, the patient, the granted scope, issue and expiry times and
 * a random jti. `verify` checks the shape and the signature before it reads the payload,
 * then the expiry, then asks the database whether the credential and its portal account
 * are still live — so a token dies with its credential, as the opaque tokens did. No
 * token value is ever stored.
 */
export function tokenService(deps: TokenServiceDeps) {
  const now = deps.now ?? Date.now;
  const sign = (signingInput: string) => createHmac('sha256', deps.key).update(signingInput).digest('base64url');

  return {
    /** A new token for a verified credential; `scope` is the granted scope string (at most MAX_SCOPE_LENGTH). */
    issue(credentialId: string, patientId: string, scope: string): IssuedToken {
      const c = Buffer.from(credentialId, 'utf8');
      const p = Buffer.from(patientId, 'utf8');
      const s = Buffer.from(scope, 'utf8');
      if (c.length < 1 || c.length > MAX_ID_LENGTH || p.length < 1 || p.length > MAX_ID_LENGTH || s.length < 1 || s.length > MAX_SCOPE_LENGTH) {
        throw new RangeError('token fields out of range');
      }
      const payload = Buffer.allocUnsafe(FIXED + 1 + c.length + 1 + p.length + 2 + s.length);
      const issuedAt = Math.floor(now());
      payload.writeUIntBE(issuedAt, 0, 6);
      payload.writeUIntBE(issuedAt + TOKEN_TTL_SECONDS * 1000, 6, 6);
      writeJti(payload, 12);
      let at = FIXED;
      payload[at++] = c.length;
      at += c.copy(payload, at);
      payload[at++] = p.length;
      at += p.copy(payload, at);
      payload.writeUInt16BE(s.length, at);
      s.copy(payload, at + 2);
      const signingInput = TOKEN_PREFIX + payload.toString('base64url');
      return { accessToken: `${signingInput}.${sign(signingInput)}`, expiresIn: TOKEN_TTL_SECONDS, scope, patientId };
    },

    /**
     * The token's owner when it is well formed, signed with our key, unexpired, and its
     * credential still live; 'expired' for a genuine token past its hour; undefined otherwise.
     */
    async verify(accessToken: string): Promise<TokenOwner | 'expired' | undefined> {
      if (accessToken.length > MAX_TOKEN_LENGTH) return undefined;
      const shape = TOKEN_SHAPE.exec(accessToken);
      if (!shape) return undefined;
      const dot = accessToken.length - MAC_CHARS - 1;
      // Both sides are 43 ASCII characters (the shape says so): equal-length buffers, constant time.
      const expected = Buffer.from(sign(accessToken.slice(0, dot)), 'latin1');
      const presented = Buffer.from(accessToken.slice(dot + 1), 'latin1');
      if (!timingSafeEqual(expected, presented)) return undefined;
      const owner = parsePayload(Buffer.from(shape[1], 'base64url'));
      if (!owner) return undefined;
      if (owner.expiresAt <= now()) return 'expired';
      return (await deps.isLive(owner.credentialId, owner.patientId)) ? owner : undefined;
    },
  };
}

/** Reads a (signed) payload strictly: every length in range and every byte accounted for. */
function parsePayload(b: Buffer): TokenOwner | undefined {
  if (b.length < MIN_PAYLOAD || b.length > MAX_PAYLOAD) return undefined;
  const issuedAt = b.readUIntBE(0, 6);
  const expiresAt = b.readUIntBE(6, 6);
  if (expiresAt - issuedAt !== TOKEN_TTL_SECONDS * 1000) return undefined;
  let at = FIXED;
  const c = b[at++];
  if (c < 1 || c > MAX_ID_LENGTH || at + c + 1 > b.length) return undefined;
  const credentialId = b.toString('utf8', at, (at += c));
  const p = b[at++];
  if (p < 1 || p > MAX_ID_LENGTH || at + p + 2 > b.length) return undefined;
  const patientId = b.toString('utf8', at, (at += p));
  const s = b.readUInt16BE(at);
  at += 2;
  if (s < 1 || s > MAX_SCOPE_LENGTH || at + s !== b.length) return undefined;
  const scope = b.toString('utf8', at, at + s);
  return { credentialId, patientId, scope, issuedAt, expiresAt };
}

export type TokenService = ReturnType<typeof tokenService>;
