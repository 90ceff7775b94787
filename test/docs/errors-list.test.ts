import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/errors.md lists every error code; the code is the other side of the contract. Codes
 * are read from the sources (typed code unions, and `new FhirError('…'` for FhirError),
 * never typed in here.
 */
const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(name) ? [p] : [];
  });
}

/** `'a' | 'b'` members of the type after `readonly code:` in a class's constructor, or of a named union type. */
function unionAfter(source: string, marker: RegExp): string[] {
  const m = marker.exec(source);
  if (!m) throw new Error(`marker ${marker} not found`);
  const rest = source.slice(m.index + m[0].length);
  const union = /^([\s|]*'[a-z_]+'(?:\s*\|\s*'[a-z_]+')*)/.exec(rest);
  return [...(union?.[1] ?? '').matchAll(/'([a-z_]+)'/g)].map((x) => x[1]).sort();
}

/** Codes in the first column (or second, for the accounts table) of a section's table. */
function documented(section: string, className?: string): string[] {
  const start = doc.indexOf(`## ${section}`);
  const end = doc.indexOf('\n## ', start + 1);
  const text = doc.slice(start, end < 0 ? undefined : end);
  const rows = text.split('\n').filter((l) => l.startsWith('| ') && l.includes('`'));
  const codes = rows
    .filter((l) => !className || l.startsWith(`| ${className} |`))
    .map((l) => /`([a-z_]+)`/.exec(l)?.[1])
    .filter((c): c is string => Boolean(c));
  return [...new Set(codes)].sort();
}

describe('docs/errors.md and the code list the same error codes', () => {
  it('FhirError: every code constructed in src is documented, and nothing else', () => {
    const codes = new Set<string>();
    for (const file of sourceFiles(join(root, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new FhirError\(\s*'([a-z_]+)'/g)) codes.add(m[1]);
    }
    expect(documented('FhirError')).toEqual([...codes].sort());
  });

  it('ImportError', () => {
    expect(documented('ImportError')).toEqual(unionAfter(read('src/importer/errors.ts'), /export type ImportErrorCode =/));
  });

  it('AuthError', () => {
    expect(documented('AuthError')).toEqual(unionAfter(read('src/auth/principal.ts'), /readonly code:/));
  });

  it('OAuthError', () => {
    expect(documented('OAuthError')).toEqual(unionAfter(read('src/oauth/errors.ts'), /readonly error:/));
  });

  it('portal, admin and account errors', () => {
    const section = 'Portal, admin and accounts';
    expect(documented(section, 'AccountError')).toEqual(unionAfter(read('src/accounts/portal-accounts.ts'), /readonly code:/));
    expect(documented(section, 'StaffError')).toEqual(unionAfter(read('src/accounts/staff.ts'), /readonly code:/));
    expect(documented(section, 'CredentialError')).toEqual(unionAfter(read('src/auth/credentials.ts'), /readonly code:/));
    expect(documented(section, 'EnablementError')).toEqual(unionAfter(read('src/accounts/enablement.ts'), /readonly code:/));
  });

  it('DbError', () => {
    expect(documented('DbError')).toEqual(unionAfter(read('src/db/db.ts'), /readonly code:/));
  });

  it('BackupError', () => {
    expect(documented('BackupError')).toEqual(unionAfter(read('src/ops/backup.ts'), /readonly code:/));
  });
});
