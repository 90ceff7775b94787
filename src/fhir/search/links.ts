import { CURSOR_PARAM } from './query.js';

/**
 * Absolute search URLs for Bundle.link (https://hl7.org/fhir/R4/http.html#paging): the
 * original parameters in order, plus the paging cursor when there is one. `:`, `,`, `/`
 * and `|` stay readable (RFC 3986 allows the first three in a query; `|` is what every
 * FHIR example shows); everything else, `+` included, is percent-encoded.
 */
export function searchUrl(baseUrl: string, type: string, params: ReadonlyArray<readonly [string, string]>, cursor?: string): string {
  const all = cursor === undefined ? params : [...params, [CURSOR_PARAM, cursor] as const];
  const query = all.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  return `${baseUrl.replace(/\/+$/, '')}/${type}${query ? `?${query}` : ''}`;
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%2F/g, '/').replace(/%7C/g, '|');
}
