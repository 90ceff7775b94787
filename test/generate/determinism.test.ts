import { describe, expect, it } from 'vitest';
import { generatePatients, generateProviders } from '../../src/generate/index.js';

const json = (seed: number, count: number, start?: number) =>
  [...generatePatients({ count, seed, ...(start !== undefined ? { start } : {}) })].map((b) => JSON.stringify(b));

describe('generate: determinism', () => {
  it('gives byte-identical bundles for the same seed and count', () => {
    expect(json(42, 6)).toEqual(json(42, 6));
    expect(JSON.stringify(generateProviders(42))).toBe(JSON.stringify(generateProviders(42)));
  });

  it('gives different patients and providers for a different seed', () => {
    const a = json(1, 3);
    const b = json(2, 3);
    for (let i = 0; i < 3; i++) expect(a[i]).not.toBe(b[i]);
    expect(generateProviders(1).entry[0].resource.id).not.toBe(generateProviders(2).entry[0].resource.id);
  });

  it('makes N patients a prefix of M > N patients', () => {
    const small = json(7, 4);
    const large = json(7, 11);
    expect(large.slice(0, 4)).toEqual(small);
  });

  it('yields patient i the same way when starting mid-way', () => {
    expect(json(7, 3, 5)).toEqual(json(7, 8).slice(5));
  });

  it('does not depend on the clock or Math.random', () => {
    const before = json(3, 2);
    const realRandom = Math.random;
    const realNow = Date.now;
    Math.random = () => 0.5;
    Date.now = () => 0;
    try {
      expect(json(3, 2)).toEqual(before);
    } finally {
      Math.random = realRandom;
      Date.now = realNow;
    }
  });

  it('gives every resource a unique id across patients and providers', () => {
    const ids = new Set<string>();
    for (const b of [generateProviders(5), ...generatePatients({ count: 25, seed: 5 })]) {
      for (const e of b.entry) {
        expect(ids.has(e.resource.id), `${e.resource.resourceType}/${e.resource.id} repeated`).toBe(false);
        ids.add(e.resource.id);
      }
    }
  });

  it('rejects a negative count, a non-integer seed and a bad asOf date', () => {
    expect(() => [...generatePatients({ count: -1, seed: 1 })]).toThrow(RangeError);
    expect(() => [...generatePatients({ count: 1, seed: 1.5 })]).toThrow(RangeError);
    expect(() => [...generatePatients({ count: 1, seed: 1, asOf: '30/06/2025' })]).toThrow(RangeError);
  });
});
