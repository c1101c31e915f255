// Tests of HE contribution chunking: splitContribution's bounded packing and HeChunkAssembler's
// reassembly, with planted duplicates, gaps, wrong totals and misplaced signatures.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/FedsynthError.js';
import { HeParty } from './HeParty.js';
import { HeAggregator } from './HeAggregator.js';
import { HeCustodian } from './HeCustodian.js';
import { splitContribution, type HeChunk } from './HeChunk.js';
import { HeChunkAssembler } from './HeChunkAssembler.js';
import type { HeContribution } from './HeMessages.js';
import { makeIdentities } from '../secagg/simulateSecAggRound.js';
import { heParamsOfRound } from '../../platform/wire/heWire.js';

const fake = (sizes: number[]): HeContribution => ({
  roundId: 'r',
  partyId: 'p1',
  vectorLength: sizes.length * 4096,
  ciphertexts: sizes.map((n, i) => new Uint8Array(n).fill(i + 1)),
  signature: new Uint8Array(64).fill(9),
});

const fails = (code: string) => expect.objectContaining({ code });

const assemble = (c: HeContribution, chunks: HeChunk[], budget: number) => {
  const a = new HeChunkAssembler(c.roundId, c.partyId, c.vectorLength, c.ciphertexts.length, budget);
  for (const ch of chunks) a.add(ch);
  return a.contribution();
};

describe('HE chunking', () => {
  it('packs whole ciphertexts into chunks of at most B bytes; the signature rides on chunk 0', () => {
    const c = fake([40, 40, 40, 100, 10]);
    const chunks = splitContribution(c, 90);
    expect(chunks.map((ch) => ch.ciphertexts.map((x) => x.byteLength))).toEqual([[40, 40], [40], [100], [10]]);
    expect(chunks.every((ch) => ch.count === 4 && ch.ciphertextCount === 5)).toBe(true);
    expect(chunks[0].signature).toBe(c.signature);
    expect(chunks.slice(1).every((ch) => ch.signature === undefined)).toBe(true);
    expect(assemble(c, [...chunks].reverse(), 90)).toEqual(c); // any arrival order
    expect(splitContribution(c)).toHaveLength(1); // default 4 MiB - 64 KiB
  });

  it('refuses duplicates, gaps, wrong totals, oversized chunks and misplaced signatures', () => {
    const c = fake([40, 40, 40, 40]);
    const chunks = splitContribution(c, 80); // 2 chunks of 2
    const a = () => new HeChunkAssembler('r', 'p1', c.vectorLength, 4, 80);
    const dup = a();
    dup.add(chunks[0]);
    expect(() => dup.add(chunks[0])).toThrow(fails(ErrorCode.ProtocolViolation));
    const gap = a();
    gap.add(chunks[0]);
    expect(() => gap.contribution()).toThrow(fails(ErrorCode.ProtocolViolation));
    expect(() => gap.contribution()).toThrow(/missing chunks 1 of 2/);
    const changed = a();
    changed.add(chunks[0]);
    expect(() => changed.add({ ...chunks[1], count: 3 })).toThrow(/chunk count changed/);
    expect(() => a().add({ ...chunks[0], ciphertextCount: 5 })).toThrow(/announces 5 ciphertexts/);
    expect(() => a().add({ ...chunks[1], index: 2 })).toThrow(/outside 0\.\.1/);
    expect(() => a().add({ ...chunks[0], signature: undefined })).toThrow(/chunk 0 must carry/);
    expect(() => a().add({ ...chunks[1], signature: c.signature })).toThrow(/carries a signature/);
    expect(() => new HeChunkAssembler('r', 'p1', c.vectorLength, 4, 60).add(chunks[0])).toThrow(/above the 60-byte budget/);
    // One chunk claiming all 4 ciphertexts' worth but holding 2: the total does not add up.
    const short = a();
    short.add({ ...chunks[0], count: 1 });
    expect(() => short.contribution()).toThrow(/2 ciphertexts, the round has 4/);
    const tiny = (n: number) => new Uint8Array(1).fill(n);
    expect(() => a().add({ ...chunks[0], ciphertexts: [tiny(1), tiny(2), tiny(3), tiny(4), tiny(5)] })).toThrow(/more than 4/);
  });

  it('a real contribution reassembled from chunks verifies and sums; swapped chunks break the signature', async () => {
    const { params, maxAbsValue } = heParamsOfRound(32);
    const ids = await makeIdentities(['p1'], 'he-chunk-test');
    const m = 2 * params.polyModulusDegree + 5; // 3 ciphertexts
    const values = Float64Array.from({ length: m }, (_, j) => (j % 97) - 48);
    const custodian = await HeCustodian.create(params, 1);
    const party = await HeParty.create(params, custodian.publicKey(), maxAbsValue);
    try {
      const c = party.encrypt('r', 'p1', values, ids.get('p1')!.privateKey);
      const chunks = splitContribution(c, 1); // one ciphertext per chunk
      expect(chunks).toHaveLength(3);
      const whole = assemble(c, chunks, 1);
      const agg = await HeAggregator.create(params, 'r', ['p1'], m, () => ids.get('p1')!.publicKey);
      agg.add(whole);
      expect(Array.from(custodian.decrypt(agg.result())).map(Number)).toEqual(Array.from(values));
      agg.dispose();
      // Planted fault: chunks 1 and 2 swapped in transit (framing kept valid).
      const swapped = assemble(c, [chunks[0], { ...chunks[2], index: 1 }, { ...chunks[1], index: 2 }], 1);
      const agg2 = await HeAggregator.create(params, 'r', ['p1'], m, () => ids.get('p1')!.publicKey);
      expect(() => agg2.add(swapped)).toThrow(fails(ErrorCode.BadSignature));
      agg2.dispose();
    } finally {
      party.dispose();
    }
  });
});
