// Known-answer test of the local evaluation: figures.json was written by the implementation before
// the compact indexes (main at 6fed1af, session 10); every figure must come out the same, bit for bit.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evalVectors } from './evalVectors.js';

describe('evaluation known-answer figures', () => {
  it('the risk attacks and evaluateSynthetic reproduce figures.json exactly', () => {
    const stored = JSON.parse(readFileSync(new URL('figures.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const now = evalVectors();
    expect(Object.keys(now)).toEqual(Object.keys(stored));
    for (const key of Object.keys(stored)) expect(now[key], key).toEqual(stored[key]);
  });
});
