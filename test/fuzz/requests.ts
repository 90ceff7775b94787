import fc from 'fast-check';
import { API_TYPES } from '../../src/fhir/resource-types.js';
import { json } from './json-bodies.js';
import { type Pools, encodePairs, searchArbitraries } from './search-params.js';
import { BAD_ESCAPES, anyText, encode, encoded, headerSafe } from './text.js';

/**
 * Whole HTTP requests for the fuzz suite, one family per surface. Credentials appear as
 * `{{NAME}}` placeholders (see World.secrets) filled in when the request is sent, so a
 * counterexample reads as what it means (`{{BEARER_A}}`) and replays with any keys.
 * Wrong secrets are only ever paired with `{{KEY_SPARE}}`, never A's key, so the
 * failed-authentication throttle never locks A out; addresses vary for the same reason.
 */
export interface FuzzRequest {
  method: string;
  /** Exactly as sent: already encoded, possibly with bad escapes. */
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** The payload's characters are bytes (U+0000–U+00FF): lets a body hold invalid UTF-8. */
  latin1?: boolean;
  /**
   * HTTP Basic built when sent, from the filled-in user and password (a placeholder cannot
   * be filled inside base64); `formEncoded` per RFC 6749 §2.3.1 for the token endpoint.
   */
  basic?: { user: string; password: string; formEncoded?: boolean };
  ip: string;
}

const FORM = 'application/x-www-form-urlencoded';

/** Authorization for an A request: mostly A's own, sometimes anything at all. */
export const authorization = fc.oneof(
  { arbitrary: fc.constantFrom('{{BASIC_A}}', '{{BEARER_A}}'), weight: 12 },
  { arbitrary: fc.constant('{{BEARER_A_NARROW}}'), weight: 2 },
  {
    arbitrary: fc.oneof(
      fc.constantFrom('', 'Basic', 'Basic ', 'Bearer', 'Bearer ', 'Basic ===', 'Basic %%%', 'Digest x', 'Negotiate', 'bearer {{BEARER_TOKEN_A}}', 'BASIC {{BASIC_A_CREDS}}', 'Bearer  {{BEARER_TOKEN_A}}', 'Bearer {{BEARER_TOKEN_A}} x', 'Bearer {{BEARER_A_TAMPERED}}', 'Bearer {{BEARER_A_NONE}}', 'Bearer {{BEARER_TOKEN_A}}.', 'Basic {{BASIC_A_CREDS}}='),
      anyText(200).map((s) => `Bearer ${headerSafe(s)}`),
      fc.tuple(fc.constantFrom('{{KEY_SPARE}}', '', 'staffer', 'admin'), anyText()).map(([k, s]) => `{{BASIC}}${JSON.stringify([k, s])}`),
      anyText().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
      fc.base64String({ maxLength: 4000 }).map((s) => `Bearer ${s}`),
      fc.tuple(fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 200 }), fc.base64String({ maxLength: 60 })).map(([a, b, c]) => `Bearer ${a}.${b}.${c}`.replace(/[+/=]/g, '')),
    ),
    weight: 3,
  },
);

const accept = fc.oneof(
  { arbitrary: fc.constantFrom('application/fhir+json', 'application/json', '*/*', 'application/fhir+json; fhirVersion=4.0', 'text/*', 'application/*'), weight: 4 },
  fc.constantFrom('application/fhir+json', 'application/json', '*/*', 'application/xml', 'application/fhir+xml', 'text/html', 'text/*', '*/*;q=0', ',,,', 'application/fhir+json;;;', 'application/fhir+json; fhirVersion=4.0', 'application/fhir+json; fhirVersion=3.0', '', ';', 'application/*', 'image/png, */*;q=0.1'),
  anyText(300).map(headerSafe),
);
const contentType = fc.oneof(
  fc.constantFrom(FORM, `${FORM}; charset=utf-8`, `${FORM}; charset=latin1`, 'application/json', 'application/fhir+json', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', '', ';', `${FORM};;;`, 'APPLICATION/X-WWW-FORM-URLENCODED', `${FORM}, application/json`),
  anyText().map(headerSafe),
);
const prefer = fc.oneof(fc.constantFrom('handling=strict', 'handling=lenient', 'return=representation', 'return=OperationOutcome', 'respond-async', 'handling=strict, return=minimal', 'handling = STRICT'), anyText(400).map(headerSafe));
const ifNoneMatch = fc.oneof(fc.constantFrom('W/"1"', '"1"', '*', 'W/"2", W/"1"', 'W/', '""', ',,,', 'W/"99999999999999999999"'), anyText().map(headerSafe));
const ip = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map(([a, b, c]) => `10.${a}.${b}.${c}`);

/** Extra headers on any request: the usual ones fuzzed, and sometimes a huge or a hundred. */
const extraHeaders = fc.record(
  {
    accept,
    prefer,
    'if-none-match': ifNoneMatch,
    'x-forwarded-for': fc.oneof(fc.constantFrom('1.2.3.4', '::1', 'unknown', '1.2.3.4, 5.6.7.8', ''), anyText().map(headerSafe)),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'deflate', 'identity;q=0', '*', 'x'),
    cookie: fc.oneof(fc.constantFrom('ck_portal=x', 'ck_portal=', 'ck_csrf={{CSRF_COOKIE}}', '=;=;=', '__proto__=1'), anyText().map(headerSafe)),
    'x-big': fc.integer({ min: 8_000, max: 70_000 }).map((n) => 'x'.repeat(n)),
  },
  { requiredKeys: [] },
);
const manyHeaders = fc.integer({ min: 50, max: 150 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, `v${i}`])));

export function requestArbitraries(p: Pools) {
  const s = searchArbitraries(p);
  const withHeaders = (auth: fc.Arbitrary<string>) =>
    fc.tuple(auth, fc.oneof({ arbitrary: fc.constant({}), weight: 6 }, { arbitrary: extraHeaders, weight: 3 }, { arbitrary: manyHeaders, weight: 1 })).map(([a, h]) => ({ authorization: a, ...h }) as Record<string, string>);
  const aIp = fc.constant('10.255.255.1');
  /** Requests with A's credential come from one address; others from anywhere. */
  const ipFor = (headers: Record<string, string>) => (/^\{\{(BASIC_A|BEARER_A|BEARER_A_NARROW)\}\}$/.test(headers.authorization ?? '') ? aIp : ip);

  const searchGet: fc.Arbitrary<FuzzRequest> = s.search.chain(([type, pairs]) =>
    fc.tuple(encodePairs(pairs), withHeaders(authorization), fc.constantFrom('GET', 'GET', 'GET', 'HEAD')).chain(([query, headers, method]) =>
      ipFor(headers).map((addr) => ({ method, url: `/fhir/${encode(type)}${query ? `?${query}` : ''}`, headers, ip: addr })),
    ),
  );

  const searchPost: fc.Arbitrary<FuzzRequest> = s.search.chain(([type, pairs]) => {
    const cut = Math.floor(pairs.length / 2);
    return fc
      .tuple(encodePairs(pairs.slice(0, cut)), encodePairs(pairs.slice(cut)), withHeaders(authorization), fc.oneof({ arbitrary: fc.constant(FORM), weight: 8 }, { arbitrary: contentType, weight: 2 }), fc.boolean())
      .chain(([inUrl, inBody, headers, ct, latin1]) =>
        ipFor(headers).map((addr) => ({
          method: 'POST',
          url: `/fhir/${encode(type)}/_search${inUrl ? `?${inUrl}` : ''}`,
          headers: { ...headers, 'content-type': ct },
          payload: latin1 ? inBody.replace(/%([89A-F][0-9A-F])/g, (_m, h) => String.fromCharCode(parseInt(h, 16))) : inBody,
          latin1,
          ip: addr,
        })),
      );
  });

  const segment = fc.oneof(
    { arbitrary: fc.constantFrom(...API_TYPES), weight: 4 },
    { arbitrary: s.bareId.map((v) => encode(v)), weight: 4 },
    { arbitrary: fc.constantFrom('_history', '$everything', '$export', '$meta', '$validate', '_search', 'metadata', '$lookup', '.well-known', 'smart-configuration', '_history', '1', '0', '-1', '1.5', '99999999999999999999', '%D9%A1'), weight: 3 },
    { arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%2E%2E%2F', '%2F', '%5C', '..%2F..%2Fetc%2Fpasswd', '%00', '', ';', ';x=1', '~', '%20', '+'), weight: 2 },
    { arbitrary: fc.constantFrom(...BAD_ESCAPES), weight: 1 },
    { arbitrary: encoded(anyText()), weight: 2 },
    { arbitrary: fc.constantFrom(64, 65, 199, 200, 201, 5000).map((n) => 'a'.repeat(n)), weight: 1 },
  );
  const pathPrefix = fc.oneof(
    { arbitrary: fc.constant('/fhir'), weight: 10 },
    { arbitrary: fc.constantFrom('/oauth', '/portal', '/admin', '/assets', '', '/.well-known', '//fhir', '/FHIR', '/fhir/', '/fhir/fhir', '/healthz', '/readyz', '/metrics'), weight: 3 },
  );
  const method = fc.oneof({ arbitrary: fc.constant('GET'), weight: 8 }, { arbitrary: fc.constantFrom('HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), weight: 3 });
  const paths: fc.Arbitrary<FuzzRequest> = fc
    .tuple(method, pathPrefix, fc.array(segment, { maxLength: 5 }), fc.option(s.pair('Patient').chain((pp) => encodePairs([pp])), { nil: undefined }), withHeaders(authorization), fc.option(fc.constantFrom('', 'a=b', '_count=1'), { nil: undefined }))
    .chain(([m, prefix, segs, query, headers, body]) =>
      ipFor(headers).map((addr) => ({
        method: m,
        url: `${prefix}/${segs.join('/')}${query ? `?${query}` : ''}`.replace(/^\/\//, m === 'GET' ? '//' : '/'),
        headers: body === undefined || m === 'GET' || m === 'HEAD' ? headers : { ...headers, 'content-type': FORM },
        payload: m === 'GET' || m === 'HEAD' ? undefined : body,
        ip: addr,
      })),
    );

  /** A valid read, vread, history, search or $everything of A's, every header fuzzed. */
  const headers: fc.Arbitrary<FuzzRequest> = fc
    .tuple(
      fc.constantFrom(...p.idsA),
      fc.constantFrom('', '/_history/1', '/_history', '?_count=2', '$everything'),
      authorization,
      extraHeaders,
      fc.oneof({ arbitrary: fc.constant({}), weight: 4 }, { arbitrary: manyHeaders, weight: 1 }),
      fc.option(contentType, { nil: undefined }),
    )
    .chain(([key, suffix, auth, extra, many, ct]) => {
      const base = suffix === '$everything' ? `/fhir/Patient/${p.idsA.find((k) => k.startsWith('Patient/'))!.split('/')[1]}/$everything` : suffix.startsWith('?') ? `/fhir/${key.split('/')[0]}${suffix}` : `/fhir/${key}${suffix}`;
      const h: Record<string, string> = { ...extra, ...many, authorization: auth, ...(ct === undefined ? {} : { 'content-type': ct }) };
      return ipFor(h).map((addr) => ({ method: 'GET', url: base, headers: h, ip: addr }));
    });

  const scope = fc.oneof(
    fc.constantFrom('patient/*.rs', 'patient/*.read', 'patient/Observation.rs', 'patient/Observation.rs?category=laboratory', 'launch/patient', 'openid fhirUser', 'offline_access', 'system/*.read', 'user/*.*', 'patient/*.*', 'patient/*.cruds', 'patient/Foo.rs', 'patient/.rs', '', ' ', 'patient/*.rs  patient/*.rs'),
    fc.array(fc.constantFrom('patient/Patient.r', 'patient/Condition.rs', 'patient/*.s', 'launch', 'online_access'), { maxLength: 40 }).map((x) => x.join(' ')),
    fc.integer({ min: 2000, max: 9000 }).map((n) => `patient/${'Observation'.repeat(Math.ceil(n / 11)).slice(0, n)}.rs`),
    anyText(),
  );
  /** The client: A's key and secret, the spare key with a wrong secret, or nonsense. Never A's key with a wrong secret. */
  const client = fc.oneof(
    { arbitrary: fc.constant({ id: '{{KEY_A}}', secret: '{{SECRET_A}}' }), weight: 4 },
    { arbitrary: anyText(40).map((secret) => ({ id: '{{KEY_SPARE}}', secret })), weight: 2 },
    { arbitrary: fc.tuple(anyText(), anyText()).map(([id, secret]) => ({ id, secret })), weight: 2 },
  );
  const oauthFields = fc
    .tuple(
      fc.oneof({ arbitrary: fc.constant('client_credentials'), weight: 6 }, { arbitrary: fc.constantFrom('authorization_code', 'refresh_token', 'password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'CLIENT_CREDENTIALS', ''), weight: 2 }, { arbitrary: anyText(), weight: 1 }),
      client,
      fc.constantFrom('post', 'basic', 'both', 'none'),
      fc.option(scope, { nil: undefined }),
      fc.array(fc.tuple(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'code', 'refresh_token', 'redirect_uri', 'client_assertion', 'client_assertion_type', '__proto__', 'constructor', 'aud'), anyText()), { maxLength: 3 }),
    )
    .map(([grant, c, how, sc, extra]) => {
      const pairs: Array<[string, string]> = [['grant_type', grant]];
      if (how === 'post' || how === 'both') pairs.push(['client_id', c.id], ['client_secret', c.secret]);
      if (sc !== undefined) pairs.push(['scope', sc]);
      pairs.push(...extra);
      const basic = how === 'basic' || how === 'both' ? { user: c.id, password: c.secret, formEncoded: true } : undefined;
      return { pairs, basic };
    });
  const oauth: fc.Arbitrary<FuzzRequest> = fc
    .tuple(
      oauthFields,
      fc.oneof({ arbitrary: fc.constant(FORM), weight: 8 }, { arbitrary: contentType, weight: 2 }),
      fc.oneof({ arbitrary: fc.constant('POST'), weight: 12 }, { arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'), weight: 1 }),
      fc.oneof({ arbitrary: fc.constant(''), weight: 12 }, { arbitrary: fc.constantFrom('?grant_type=client_credentials', '?x=%ZZ', '/', '/x', '%00'), weight: 1 }),
      ip,
      fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
      fc.oneof({ arbitrary: fc.constant(undefined), weight: 8 }, { arbitrary: fc.constantFrom('&&&', '=', '%%%=%%%', 'grant_type', `grant_type=client_credentials&grant_type=client_credentials`, `${'a='.repeat(3000)}`, 'x'.repeat(9000)), weight: 1 }),
    )
    .chain(([{ pairs, basic }, ct, m, suffix, addr, latin1, raw]) =>
      encodePairs(pairs).map((body) => ({
        method: m,
        url: `/oauth/token${suffix}`,
        headers: { 'content-type': ct },
        basic,
        payload: m === 'GET' || m === 'HEAD' ? undefined : raw ?? (latin1 ? body.replace(/%([89A-F][0-9A-F])/g, (_x, h) => String.fromCharCode(parseInt(h, 16))) : body),
        latin1,
        ip: addr,
      })),
    );

  /** Portal and admin forms, with the CSRF pair of a rendered form (or without, or broken). */
  const portal: fc.Arbitrary<FuzzRequest> = fc
    .tuple(
      fc.constantFrom('/portal/login', '/portal/login', '/admin/login', '/portal/password/new', '/portal/password', '/portal/activate', '/portal/credentials', '/portal/credentials/x/delete', '/portal/logout', '/admin/logout', '/portal/activate?token=x'),
      fc.array(fc.tuple(fc.constantFrom('username', 'password', 'confirm', 'current', 'token', 'name', '__proto__', 'constructor', 'username[]', 'password[a]'), anyText()), { maxLength: 5 }),
      fc.oneof({ arbitrary: fc.constant('{{CSRF}}'), weight: 6 }, { arbitrary: anyText(), weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 }),
      fc.oneof({ arbitrary: fc.constant('{{CSRF_COOKIE}}'), weight: 6 }, { arbitrary: fc.constantFrom('ck_csrf=x', 'ck_portal=abc; {{CSRF_COOKIE}}', '', '{{CSRF_COOKIE}}; ck_admin=zzz'), weight: 1 }),
      fc.oneof({ arbitrary: fc.constant(FORM), weight: 8 }, { arbitrary: contentType, weight: 1 }),
      fc.boolean(),
      ip,
    )
    .chain(([path, fields, csrf, cookie, ct, dup, addr]) => {
      const pairs: Array<[string, string]> = [...fields];
      if (csrf !== undefined) pairs.push(['_csrf', csrf]);
      if (dup && pairs.length) pairs.push(pairs[0]);
      return encodePairs(pairs).map((body) => ({ method: 'POST', url: path, headers: { 'content-type': ct, cookie }, payload: body, ip: addr }));
    });

  /** JSON bodies where a body is taken (POST _search today; writes once their routes exist, see json-bodies.ts). */
  const jsonBody = (targets: readonly JsonTarget[]): fc.Arbitrary<FuzzRequest> =>
    fc
      .tuple(fc.constantFrom(...targets), s.searchType, fc.constantFrom(...p.idsA.map((k) => k.split('/')[1])), fc.oneof(fc.constantFrom('application/json', 'application/fhir+json', 'application/fhir+json; charset=utf-8', 'application/json-patch+json'), contentType), authorization)
      .chain(([target, type, id, ct, auth]) =>
        target.body(type).chain((b) => ipFor({ authorization: auth }).map((addr) => ({ method: target.method, url: target.url(type, id), headers: { 'content-type': ct, authorization: auth }, payload: b.text, latin1: b.latin1, ip: addr }))),
      );

  return { searchGet, searchPost, paths, headers, oauth, portal, jsonBody, searchArbitraries: s };
}

export interface JsonTarget {
  name: string;
  method: 'POST' | 'PUT' | 'PATCH';
  /** The route as registered (for app.hasRoute). */
  route: string;
  url(type: string, id: string): string;
  body(type: string): fc.Arbitrary<{ text: string; latin1?: boolean }>;
}

/**
 * Where JSON bodies go. Resource writes are listed already: each is fuzzed as soon as
 * its route exists (the suite filters this list with app.hasRoute).
 */
export const JSON_TARGETS: readonly JsonTarget[] = [
  { name: 'search', method: 'POST', route: '/fhir/:type/_search', url: (t) => `/fhir/${encode(t)}/_search`, body: () => json.anyBody },
  { name: 'create', method: 'POST', route: '/fhir/:type', url: (t) => `/fhir/${encode(t)}`, body: (t) => json.resourceBody(t) },
  { name: 'update', method: 'PUT', route: '/fhir/:type/:id', url: (t, id) => `/fhir/${encode(t)}/${encode(id)}`, body: (t) => json.resourceBody(t) },
];
