import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { PageClient } from '../portal/browser-client.js';
import { addPatient, enabledPatient, type Harness, startHarness } from '../portal/harness.js';

/**
 * The portal and admin surfaces seen by an attacker: a stolen or left-open session, a
 * shared computer's cache, hostile bodies, spoofed addresses, a disabled staff account.
 */
const PASSWORD = 'correct horse battery';

describe.each(await backends())('portal and admin hardening on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await addPatient(h.services, 'p1', 'Shaw');
    await enabledPatient(h.services, 'p1', 'jane', PASSWORD);
    await h.services.staff.create('frontdesk', 'staff password 123');
  });
  afterAll(() => h?.close());

  const portal = async () => {
    const c = new PageClient(h.app);
    expect((await c.signIn('portal', 'jane', PASSWORD)).headers.location).toBe('/portal/history');
    return c;
  };
  const admin = async () => {
    const c = new PageClient(h.app);
    expect((await c.signIn('admin', 'frontdesk', 'staff password 123')).headers.location).toBe('/admin/patients');
    return c;
  };

  it('a signed-in patient cannot set a new password through the first-sign-in form without the current one', async () => {
    const c = await portal();
    await c.get('/portal/password');
    const res = await c.post('/portal/password/new', { password: 'hijacked password 1', confirm: 'hijacked password 1' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/portal/history');
    expect(await h.services.portal.accounts.verifySignIn('jane', 'hijacked password 1')).toBeUndefined();
    expect(await h.services.portal.accounts.verifySignIn('jane', PASSWORD)).toBeDefined();
  });

  it('never lets a browser or proxy keep a page that shows patient data', async () => {
    const a = await admin();
    for (const url of ['/admin/patients', '/admin/patients?name=shaw', '/admin/patients/p1', '/admin/audit', '/admin/audit?patient=p1', '/admin/settings']) {
      const res = await a.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toContain('no-store');
    }
    const p = await portal();
    for (const url of ['/portal/history', '/portal/credentials/new', '/portal/password']) {
      const res = await p.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toContain('no-store');
    }
    // Static assets stay cacheable.
    expect((await p.get('/assets/app.css')).headers['cache-control']).not.toContain('no-store');
  });

  it('refuses JSON and other non-form bodies on the HTML surfaces (no 16 MB parse before the CSRF check)', async () => {
    for (const url of ['/portal/login', '/admin/login']) {
      const res = await h.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ username: 'jane', password: PASSWORD, pad: 'x'.repeat(200_000) }) });
      expect(res.statusCode, url).toBe(415);
      expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
      const text = await h.app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'hello' });
      expect(text.statusCode, url).toBe(415);
    }
    const big = await h.app.inject({ method: 'POST', url: '/portal/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `username=${'x'.repeat(70 * 1024)}` });
    expect(big.statusCode).toBe(413);
  });

  it('ignores X-Forwarded-For when TRUST_PROXY is off: the sign-in throttle still counts the real address', async () => {
    let last = 0;
    for (let i = 0; i < 31; i++) {
      const c = new PageClient(h.app, '203.0.113.9');
      await c.get('/portal/login');
      const body = new URLSearchParams({ username: `nobody${i}`, password: 'wrong password 1', _csrf: c.csrf()! });
      const res = await h.app.inject({
        method: 'POST', url: '/portal/login', remoteAddress: '203.0.113.9', payload: body.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `198.51.100.${i}`, cookie: c.last!.cookies.map((k: { name: string; value: string }) => `${k.name}=${k.value}`).join('; ') },
      });
      last = res.statusCode;
    }
    expect(last).toBe(429);
  });

  it('a disabled staff account loses FHIR access at once, not after a cache expires', async () => {
    const auth = basic('frontdesk', 'staff password 123');
    expect((await h.app.inject({ method: 'GET', url: '/fhir/Patient/p1', headers: { authorization: auth } })).statusCode).toBe(200);
    await h.services.db.run('UPDATE staff_users SET disabled = 1 WHERE username = ?', ['frontdesk']);
    const res = await h.app.inject({ method: 'GET', url: '/fhir/Patient/p1', headers: { authorization: auth } });
    expect(res.statusCode).toBe(401);
    await h.services.db.run('UPDATE staff_users SET disabled = 0 WHERE username = ?', ['frontdesk']);
  });

  it('sign-out needs the CSRF token and ends the session', async () => {
    const c = await portal();
    await c.get('/portal/history');
    expect((await c.post('/portal/logout', {}, { csrf: false })).statusCode).toBe(403);
    expect((await c.get('/portal/history')).statusCode).toBe(200);
    await c.get('/portal/history');
    expect((await c.post('/portal/logout', {})).headers.location).toBe('/portal/login?signedout=1');
    expect((await c.get('/portal/history')).headers.location).toBe('/portal/login');
  });

  it('does not adopt a session id chosen by an attacker', async () => {
    const c = new PageClient(h.app);
    await c.get('/portal/login');
    const planted = 'A'.repeat(43);
    const body = new URLSearchParams({ username: 'jane', password: PASSWORD, _csrf: c.csrf()! });
    const cookies = [...c.last!.cookies.map((k: { name: string; value: string }) => `${k.name}=${k.value}`), `ck_portal=${planted}`].join('; ');
    const res = await h.app.inject({ method: 'POST', url: '/portal/login', payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies } });
    expect(res.statusCode).toBe(303);
    const issued = res.cookies.find((k: { name: string }) => k.name === 'ck_portal') as { value: string; httpOnly?: boolean; sameSite?: string } | undefined;
    expect(issued?.value).toBeDefined();
    expect(issued!.value).not.toBe(planted);
    expect(issued!.httpOnly).toBe(true);
    expect(issued!.sameSite).toBe('Lax');
    const withPlanted = await h.app.inject({ method: 'GET', url: '/portal/history', headers: { cookie: `ck_portal=${planted}` } });
    expect(withPlanted.headers.location).toBe('/portal/login');
  });

  it('forbids framing of every page', async () => {
    for (const url of ['/portal/login', '/admin/login', '/portal/activate?token=x']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });
});
