import { randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * `length` characters of [A-Za-z0-9] from the CSPRNG. crypto.randomInt draws by rejection
 * sampling, so every character is uniform (log2(62) ≈ 5.95 bits each; 32 chars ≈ 190 bits).
 */
export function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
