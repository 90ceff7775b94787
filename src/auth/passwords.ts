import { hash, verify } from '@node-rs/argon2';

/**
 * Password hashing with Argon2id (RFC 9106), parameters from OWASP's password storage
 * cheat sheet (m=19 MiB, t=2, p=1). The encoded hash carries its own parameters, so
 * they can be raised later without invalidating stored hashes.
 */
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, { ...OPTIONS, algorithm: 2 /* Argon2id */ });
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password);
  } catch {
    return false;
  }
}

/** A password policy error message, or undefined when acceptable (NIST SP 800-63B §5.1.1: length, not composition). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 10) return 'Passwords must be at least 10 characters long.';
  if (password.length > 256) return 'Passwords must be at most 256 characters long.';
  return undefined;
}
