import fc from 'fast-check';

/**
 * Hostile text for the generators: strings of every Unicode plane (lone surrogates
 * included), control characters, the classic injection probes, huge values, and
 * percent-encodings that are not valid UTF-8. URLs and headers built from them are kept
 * legal on the wire (ASCII, no CR/LF) so that what is tested is the server, not the client.
 */

export const NASTY = [
  "'", '"', "';--", "' OR '1'='1", '\\', '\\\\', '%', '_', '*', '$', '|', '||', ',', ',,,', ':', '::', '.', '..', '/', '?', '#', '&', '=',
  'NaN', 'Infinity', '-0', '0x10', '1.', '.5', 'null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '\u202e\u0301', '\ufffe', '\ufeff', '\u2028', '😀', 'ä', 'İ', 'ß', 'ﬃ', '\u0000', 'a\u0000b', '\t', '\n', '\r\n', ' ',
  '<script>alert(1)</script>', '${7*7}', '{{7*7}}', '%s%s%n', '../../../etc/passwd', 'C:\\Windows', 'Patient/', 'Patient/../Patient/x', 'http://', 'urn:uuid:',
];

/** Percent-encodings that decode to invalid UTF-8, or are not escapes at all. */
export const BAD_ESCAPES = ['%', '%G1', '%1', '%ED%A0%80', '%ED%BF%BF', '%C0%AF', '%C0%80', '%FF', '%FE%FF', '%E2%82', '%F4%90%80%80', '%F0%80%80%80', '%00', '%uD800', '%%', '%25', '%2', '%0A', '%0D'];

export const anyText = (maxLength = 24): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength }), weight: 2 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength }), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary-ascii', maxLength }), weight: 2 },
    { arbitrary: fc.constantFrom(4095, 4096, 4097, 9000).map((n) => 'x'.repeat(n)), weight: 1 },
  );

const UNRESERVED = /[A-Za-z0-9\-._~]/;
/** Characters FHIR clients commonly leave unencoded in a query value. */
const LOOSE_OK = /[A-Za-z0-9\-._~|,:$/*!'()@;]/;

/**
 * Percent-encodes the UTF-8 of `s` (a lone surrogate becomes U+FFFD, as any client would
 * send). `{{NAME}}` placeholders are left whole, to be filled in when the request is sent.
 */
export function encode(s: string, loose = false): string {
  return s
    .split(/(\{\{[A-Z_]+\}\})/)
    .map((part) => (/^\{\{[A-Z_]+\}\}$/.test(part) ? part : encodePart(part, loose)))
    .join('');
}

function encodePart(s: string, loose: boolean): string {
  let out = '';
  for (const ch of s) {
    if ((loose ? LOOSE_OK : UNRESERVED).test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** An encoded form of `s`: strict, loose (`|,:$` left as they are), or with a bad escape spliced in. */
export const encoded = (s: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: s.map((v) => encode(v)), weight: 5 },
    { arbitrary: s.map((v) => encode(v, true)), weight: 4 },
    { arbitrary: s.map((v) => encode(v).replace(/%20/g, '+')), weight: 1 },
    {
      arbitrary: fc.tuple(s, fc.constantFrom(...BAD_ESCAPES), fc.nat()).map(([v, bad, at]) => {
        const e = encode(v, true);
        const i = e.length ? at % (e.length + 1) : 0;
        return e.slice(0, i) + bad + e.slice(i);
      }),
      weight: 2,
    },
  );

/** A header value legal on the wire: latin1 printable and tab, no CR/LF/NUL. */
export function headerSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}
