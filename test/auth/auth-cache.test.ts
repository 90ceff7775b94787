import { describe, expect, it } from 'vitest';
import { withAuthCache, withClientVerifyCache } from '../../src/auth/auth-cache.js';
import type { CredentialChange, VerifiedCredential } from '../../src/auth/credentials.js';
import type { AuthRequest, Principal } from '../../src/auth/principal.js';
import { ALL, patientScope } from '../../src/fhir/scope.js';

/** A credentials.onChange stand-in the test can fire. */
function changes() {
  const listeners = new Set<(c: CredentialChange) => void>();
  return {
    onChange: (l: (c: CredentialChange) => void) => (listeners.add(l), () => listeners.delete(l)),
    emit: (c: CredentialChange) => listeners.forEach((l) => l(c)),
  };
}

const A: VerifiedCredential = { credentialId: 'cred-a', patientId: 'pat-a' };
const KEY = 'K'.repeat(32);
const SECRET = 's'.repeat(32);

describe('client verification trust cache (token endpoint)', () => {
  it('asks again after one second, and at once after a delete or a suspension', async () => {
    let now = 1_000_000;
    let calls = 0;
    const c = changes();
    const verify = withClientVerifyCache(async () => (calls++, A), c.onChange, { now: () => now });
    expect(await verify(KEY, SECRET)).toEqual(A);
    expect(await verify(KEY, SECRET)).toEqual(A);
    expect(calls).toBe(1);
    now += 1000;
    await verify(KEY, SECRET);
    expect(calls).toBe(2);
    c.emit({ kind: 'revoked', credentialId: 'cred-a', patientId: 'pat-a' });
    await verify(KEY, SECRET);
    expect(calls).toBe(3);
    c.emit({ kind: 'suspended', patientId: 'pat-a', credentialIds: ['cred-a'] });
    await verify(KEY, SECRET);
    expect(calls).toBe(4);
    c.emit({ kind: 'revoked', credentialId: 'someone-else', patientId: 'pat-b' });
    await verify(KEY, SECRET);
    expect(calls).toBe(4);
  });

  it('never caches a failure, and trusts only the exact key and secret verified', async () => {
    const seen: Array<[string, string]> = [];
    const verify = withClientVerifyCache(async (k, s) => (seen.push([k, s]), s === SECRET ? A : undefined), changes().onChange);
    expect(await verify(KEY, 'wrong'.padEnd(32, 'x'))).toBeUndefined();
    expect(await verify(KEY, 'wrong'.padEnd(32, 'x'))).toBeUndefined();
    expect(await verify(KEY, SECRET)).toEqual(A);
    // Same concatenation, different split: not the same entry.
    expect(await verify(KEY + 's', SECRET.slice(1))).toBeUndefined();
    expect(await verify(KEY, SECRET)).toEqual(A);
    expect(seen.length).toBe(4);
  });

  it('does not cache an answer that was in flight while a credential changed', async () => {
    const c = changes();
    let calls = 0;
    let release!: () => void;
    const verify = withClientVerifyCache(
      async () => {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        return A;
      },
      c.onChange,
    );
    const inFlight = verify(KEY, SECRET); // read the row before the delete
    await Promise.resolve();
    c.emit({ kind: 'revoked', credentialId: 'cred-a', patientId: 'pat-a' });
    release();
    expect(await inFlight).toEqual(A); // started before the delete: may succeed
    await verify(KEY, SECRET); // started after it: must ask the database again
    expect(calls).toBe(2);
  });
});

describe('authentication cache (FHIR API)', () => {
  const principal = (expiresAt?: number): Principal => ({
    kind: 'patient', patientId: 'pat-a', credentialId: 'cred-a', subjectKind: 'credential', scope: patientScope('pat-a'), grantedScopes: 'patient/*.rs', expiresAt,
  });
  const req: AuthRequest = { authorization: 'Bearer abc', ip: '127.0.0.1' };

  it('never trusts a token past its expiry, even within the second', async () => {
    let now = 5_000;
    let calls = 0;
    const auth = withAuthCache(async () => (calls++, principal(5_400)), changes().onChange, { now: () => now });
    await auth(req);
    now = 5_399;
    await auth(req);
    expect(calls).toBe(1);
    now = 5_400;
    await auth(req);
    expect(calls).toBe(2);
  });

  it('does not cache staff, nor an answer in flight during a revocation', async () => {
    const c = changes();
    let calls = 0;
    const staff = withAuthCache(async () => (calls++, { kind: 'staff', staffId: 's', username: 'u', scope: ALL }) as Principal, c.onChange);
    await staff(req);
    await staff(req);
    expect(calls).toBe(2);
    let release!: () => void;
    calls = 0;
    const auth = withAuthCache(
      async () => {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        return principal();
      },
      c.onChange,
    );
    const inFlight = auth(req);
    await Promise.resolve();
    c.emit({ kind: 'suspended', patientId: 'pat-a', credentialIds: ['cred-a'] });
    release();
    await inFlight;
    await auth(req);
    expect(calls).toBe(2);
  });
});
