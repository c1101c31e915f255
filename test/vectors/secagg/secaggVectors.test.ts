// Known-answer tests for secure aggregation: a seeded run must reproduce positive.json byte for
// byte, and each planted fault must be refused exactly as negative.json records.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openShares } from '../../../shared/secagg/ShareEnvelope.js';
import { loadSodium } from '../../../shared/secagg/sodium.js';
import { negativeVectors, positiveVectors } from './secaggVectors.js';

const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('secagg known-answer vectors', () => {
  it('positive: every stage reproduces byte for byte', async () => {
    const stored = load('positive.json');
    const now = JSON.parse(JSON.stringify(await positiveVectors())) as Record<string, unknown>;
    for (const key of ['config', 'inputs', 'identityPublicKeys', 'envelope', 'sum', 'survivors', 'dropped']) expect(now[key], key).toEqual(stored[key]);
    const s = stored.stages as Record<string, unknown>;
    const n = now.stages as Record<string, unknown>;
    for (const stage of ['advertiseKeys', 'shareKeys', 'maskedInput', 'consistency', 'unmask']) expect(n[stage], stage).toEqual(s[stage]);
  });

  it('the stored envelope refuses a flipped byte (tampered-share vector)', async () => {
    const sodium = await loadSodium();
    const env = load('positive.json').envelope as Record<string, string>;
    const ct = Buffer.from(env.ciphertext, 'hex');
    const key = Buffer.from(env.key, 'hex');
    const e = { from: env.from, to: env.to, nonce: Buffer.from(env.nonce, 'hex'), ciphertext: new Uint8Array(ct) };
    expect(Buffer.from(Buffer.concat(Object.values(openShares(sodium, key, 'kat-round-1', 'p1', e)))).toString('hex')).toBe(env.plaintext);
    ct[0] ^= 1;
    expect(() => openShares(sodium, key, 'kat-round-1', 'p1', { ...e, ciphertext: new Uint8Array(ct) })).toThrow(/authentication/);
    expect(() => openShares(sodium, key, 'kat-round-2', 'p1', e)).toThrow(/authentication/);
  });

  it('negative: each planted fault is refused as recorded', async () => {
    const stored = load('negative.json');
    const now = await negativeVectors();
    expect(now).toEqual(stored);
    for (const v of Object.values(now)) expect(v.code).not.toBe('NO_ERROR');
  });
});
