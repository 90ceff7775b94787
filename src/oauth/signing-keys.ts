import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Db } from '../db/db.js';
import { DbError } from '../db/db.js';

/**
 * The keys that sign id_tokens (RS256, https://openid.net/specs/openid-connect-core-1_0.html#IDToken).
 * Generated with `jose` on first start; the private JWK is stored encrypted (AES-256-GCM
 * under a key derived from the server key), so every instance sharing the database signs
 * with the same key. `rotate` adds a new key and retires the old one: a retired key no
 * longer signs but stays published at /oauth/jwks for RETIRED_KEEP_MS (longer than any
 * id_token lives), then drops out.
 */
export const ID_TOKEN_TTL_SECONDS = 3600;
const RETIRED_KEEP_MS = 2 * ID_TOKEN_TTL_SECONDS * 1000;
const ALG = 'RS256';

interface KeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_enc: string;
  created_at: number;
  retired_at: number | null;
}

export interface SigningKeyOptions {
  /** AES-256 key for the private JWKs (serverKeys.derive('oauth-signing-keys-v1')). */
  encryptionKey: Buffer;
  now?: () => number;
}

export function signingKeys(db: Db, options: SigningKeyOptions) {
  const now = options.now ?? Date.now;
  let active: { kid: string; key: CryptoKey | Uint8Array; loadedAt: number } | undefined;

  const encrypt = (plain: string) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', options.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  };
  const decrypt = (stored: string) => {
    const raw = Buffer.from(stored, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', options.encryptionKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  };

  async function addKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
    const kid = randomUUID();
    const pub = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
    const priv = await exportJWK(privateKey);
    await db.run('INSERT INTO oauth_signing_keys (kid, alg, public_jwk, private_jwk_enc, created_at) VALUES (?, ?, ?, ?, ?)', [
      kid,
      ALG,
      JSON.stringify(pub),
      encrypt(JSON.stringify(priv)),
      now(),
    ]);
    return kid;
  }

  async function current(): Promise<{ kid: string; key: CryptoKey | Uint8Array }> {
    // Re-read now and then: another instance may have rotated.
    if (active && now() - active.loadedAt < 60_000) return active;
    let row = await db.get<KeyRow>('SELECT * FROM oauth_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1');
    if (!row) {
      try {
        await addKey();
      } catch (err) {
        if (!(err instanceof DbError && err.code === 'unique_violation')) throw err;
      }
      row = await db.get<KeyRow>('SELECT * FROM oauth_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1');
    }
    const key = await importJWK(JSON.parse(decrypt(row!.private_jwk_enc)) as JWK, ALG);
    active = { kid: row!.kid, key, loadedAt: now() };
    return active;
  }

  return {
    /** Makes sure a signing key exists (first start). */
    async ensure(): Promise<void> {
      await current();
    },

    /** The public keys to publish: the signing key and retired keys whose tokens may still be live. */
    async jwks(): Promise<{ keys: JWK[] }> {
      const rows = await db.all<KeyRow>('SELECT * FROM oauth_signing_keys WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC, kid', [
        now() - RETIRED_KEEP_MS,
      ]);
      return { keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) };
    },

    /** Signs an id_token with the current key (`kid` in the header). */
    async signIdToken(claims: Record<string, unknown>, audience: string, issuer: string, subject: string): Promise<string> {
      const { kid, key } = await current();
      return new SignJWT(claims)
        .setProtectedHeader({ alg: ALG, kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(subject)
        .setAudience(audience)
        .setIssuedAt(Math.floor(now() / 1000))
        .setExpirationTime(Math.floor(now() / 1000) + ID_TOKEN_TTL_SECONDS)
        .sign(key);
    },

    /** Adds a new signing key and retires the others (still published until their tokens expire). Returns the new kid. */
    async rotate(): Promise<string> {
      const at = now();
      const kid = await addKey();
      await db.run('UPDATE oauth_signing_keys SET retired_at = ? WHERE retired_at IS NULL AND kid <> ?', [at, kid]);
      active = undefined;
      return kid;
    },
  };
}

export type SigningKeys = ReturnType<typeof signingKeys>;
