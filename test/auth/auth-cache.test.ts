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

  it('drops expired entries: a stream of new tokens keeps only those of the last second', async () => {
    // Each access token is a new key, looked up for as long as the app uses that token and
    // never again once it takes a new one. The soak's ~26 tokens/s once filled the cache
    // to its 10,000-entry bound with dead entries (6 MiB of V8 heap, docs/reliability.md).
    let now = 1_000_000;
    const auth = withAuthCache(async () => principal(), changes().onChange, { now: () => now });
    for (let i = 0; i < 5000; i++) {
      now += 10; // 100 new tokens a second
      await auth({ authorization: `Bearer token-${i}`, ip: '127.0.0.1' });
    }
    expect(auth.cachedEntries()).toBeLessThanOrEqual(101);
    // What is still within its second is still trusted.
    let calls = 0;
    const counted = withAuthCache(async () => (calls++, principal()), changes().onChange, { now: () => now });
    await counted(req);
    now += 999;
    await counted({ authorization: 'Bearer other', ip: '127.0.0.1' });
    await counted(req);
    expect(calls).toBe(2);
    expect(counted.cachedEntries()).toBe(2);
  });
});
