import fc from 'fast-check';
import { API_TYPES } from '../../src/fhir/resource-types.js';
import { anyText } from './text.js';

/**
 * JSON request bodies as text, so that what JSON.stringify cannot make is made too: deep
 * nesting, huge strings and numbers, duplicate keys, `__proto__`/`constructor` keys,
 * invalid UTF-8 (bytes, with `latin1`), truncated documents.
 */
export interface JsonText {
  text: string;
  latin1?: boolean;
}

const str = (s: string) => JSON.stringify(s);
const proto = fc.constantFrom(
  '{"__proto__":{"polluted":"yes","resourceType":"Patient"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"a":{"__proto__":{"polluted":"yes"}},"b":[{"constructor":{"prototype":{"polluted":"yes"}}}]}',
  '{"__proto__":null}',
  '{"toString":"x","valueOf":1,"hasOwnProperty":"y"}',
);
const deep = fc.tuple(fc.integer({ min: 50, max: 200_000 }), fc.constantFrom('[', '{"a":', '{"extension":[')).map(([n, open]) => {
  const close = open === '[' ? ']' : open === '{"a":' ? '}' : ']}';
  return open.repeat(n) + '1' + close.repeat(n);
});
const hugeString = fc.integer({ min: 60_000, max: 3_000_000 }).map((n) => `{"resourceType":"Parameters","id":${str('x'.repeat(n))}}`);
const hugeNumber = fc.oneof(
  fc.integer({ min: 300, max: 100_000 }).map((n) => `{"value":${'9'.repeat(n)}}`),
  fc.constantFrom('{"value":1e999999}', '{"value":-1e-999999}', '{"value":-0}', '{"value":1.7976931348623157e309}', '[1e400,-1e400,5e-324]'),
);
const duplicates = fc.tuple(fc.constantFrom(...API_TYPES), anyText()).map(([t, v]) => `{"resourceType":"${t}","resourceType":"Observation","id":"a","id":${str(v)}}`);
const invalidUtf8: fc.Arbitrary<JsonText> = fc.constantFrom('\xc0\xaf', '\xed\xa0\x80', '\xff\xfe', '\xe2\x82', '\x80').map((bytes) => ({ text: `{"resourceType":"Patient","name":[{"family":"a${bytes}b"}]}`, latin1: true }));
const truncated = fc.json().chain((j) => fc.nat({ max: Math.max(0, j.length - 1) }).map((n) => j.slice(0, n)));

const anyBody: fc.Arbitrary<JsonText> = fc.oneof(
  { arbitrary: fc.json({ maxDepth: 4 }).map((text) => ({ text })), weight: 4 },
  { arbitrary: fc.oneof(proto, deep, hugeString, hugeNumber, duplicates, truncated).map((text) => ({ text })), weight: 6 },
  { arbitrary: invalidUtf8, weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', 'null', '"x"', '1', '[]', '{}', '\ufeff{}', '{"a":1}garbage').map((text) => ({ text })), weight: 1 },
);

/** A resource of `type` (or of a wrong type), its fields random, sometimes hostile structure. */
const resourceBody = (type: string): fc.Arbitrary<JsonText> =>
  fc.oneof(
    {
      arbitrary: fc
        .tuple(fc.oneof(fc.constant(type), fc.constantFrom(...API_TYPES), anyText()), fc.option(anyText(), { nil: undefined }), fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'meta', 'id', 'subject', 'patient', 'contained')), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }))
        .map(([rt, id, rest]) => ({ text: `{"resourceType":${str(rt)}${id === undefined ? '' : `,"id":${str(id)}`}${Object.keys(rest).length ? `,${JSON.stringify(rest).slice(1, -1)}` : ''}}` })),
      weight: 5,
    },
    { arbitrary: anyBody, weight: 3 },
  );

export const json = { anyBody, resourceBody };
