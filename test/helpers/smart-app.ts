import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';

/**
 * A third-party SMART app on its own origin, for launches driven by clients nobody here
 * wrote (test/oauth/real-clients.test.ts, scripts/smart-demo.ts):
 * - `/launch.html?client_id=…`: fhirclient 2.6 (SMART's JS client) authorizes a public
 *   client with PKCE against `fhirBase`;
 * - `/callback.html`: its redirect page, which reads the Patient and every page of their
 *   Observations from the browser (so CORS is exercised for real) and writes
 *   `{patient, name, observations, scope, fhirUser}` as JSON — or `ERROR …` — into `#out`;
 * - `/oidc-callback`: a plain page for openid-client's redirect.
 * Not listening: the caller picks the port.
 */
export function smartAppServer(fhirBase: string): Server {
  const fhirClientJs = readFileSync(createRequire(import.meta.url).resolve('fhirclient/build/fhir-client.js'), 'utf8');
  const page = (script: string) => `<!doctype html><html><body><pre id="out">waiting</pre><script src="/fhir-client.js"></script><script>${script}</script></body></html>`;
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://app');
    if (url.pathname === '/fhir-client.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(fhirClientJs);
    if (url.pathname === '/launch.html') {
      const clientId = url.searchParams.get('client_id');
      return res.writeHead(200, { 'content-type': 'text/html' }).end(
        page(`FHIR.oauth2.authorize({ clientId: ${JSON.stringify(clientId)}, scope: 'launch/patient openid fhirUser patient/*.rs', redirectUri: '/callback.html', iss: ${JSON.stringify(fhirBase)}, pkceMode: 'required' });`),
      );
    }
    if (url.pathname === '/callback.html') {
      // Pages of 20, so a search of a real chart follows `next` links.
      return res.writeHead(200, { 'content-type': 'text/html' }).end(
        page(`FHIR.oauth2.ready().then(async (client) => {
          const patient = await client.patient.read();
          const obs = await client.request('Observation?patient=' + client.patient.id + '&_count=20', { pageLimit: 0, flat: true });
          document.getElementById('out').textContent = JSON.stringify({ patient: patient.id, name: patient.name?.[0], observations: obs.length, scope: client.state.tokenResponse.scope, fhirUser: client.user.fhirUser });
        }).catch((e) => { document.getElementById('out').textContent = 'ERROR ' + e.message; });`),
      );
    }
    if (url.pathname === '/oidc-callback') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>Signed in</p>');
    return res.writeHead(404).end();
  });
}

/** Debian's Chromium, where the browser tests and the demo expect it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless Chromium without the background traffic a test or demo does not want. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
