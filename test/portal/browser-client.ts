import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * A tiny cookie-keeping client over app.inject, for HTTP-level tests of the HTML pages:
 * it remembers cookies per path and reads the CSRF token of the last page it loaded.
 */
export class PageClient {
  private cookies = new Map<string, { value: string; path: string }>();
  last?: LightMyRequestResponse;

  constructor(private readonly app: FastifyInstance, readonly ip = '127.0.0.1') {}

  private cookieHeader(url: string): string {
    const path = url.split('?')[0];
    return [...this.cookies.entries()].filter(([, c]) => path.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  private remember(res: LightMyRequestResponse): void {
    for (const c of res.cookies as Array<{ name: string; value: string; path?: string; expires?: Date; maxAge?: number }>) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now()) || c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, { value: c.value, path: c.path ?? '/' });
    }
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(url) }, remoteAddress: this.ip });
    this.remember(res);
    this.last = res;
    return res;
  }

  /** Posts a form; includes the CSRF token of the last page unless `csrf: false`. */
  async post(url: string, form: Record<string, string> | URLSearchParams, opts: { csrf?: boolean } = {}): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams(form);
    if (opts.csrf !== false && this.csrf()) body.set('_csrf', this.csrf()!);
    const res = await this.app.inject({
      method: 'POST', url, payload: body.toString(), remoteAddress: this.ip,
      headers: { cookie: this.cookieHeader(url), 'content-type': 'application/x-www-form-urlencoded' },
    });
    this.remember(res);
    this.last = res;
    return res;
  }

  csrf(): string | undefined {
    return /name="_csrf" value="([^"]+)"/.exec(this.last?.body ?? '')?.[1];
  }

  /** Signs in through the form and follows the redirect. */
  async signIn(area: 'portal' | 'admin', username: string, password: string): Promise<LightMyRequestResponse> {
    await this.get(`/${area}/login`);
    const res = await this.post(`/${area}/login`, { username, password });
    return res;
  }
}

export function testIds(html: string, id: string): number {
  return html.split(`data-testid="${id}"`).length - 1;
}
