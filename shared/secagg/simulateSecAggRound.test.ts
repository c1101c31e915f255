// Tests of a full secure-aggregation round through the in-process driver: exact sums, dropouts at
// every stage, clean TooFewSurvivors failures below t, SecAgg+ sparse graphs, and a property test.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { plainSum, sumToBigInts, type SignedVector } from './ModularVector.js';
import type { RoundConfig } from './RoundConfig.js';
import { simulateSecAggRound } from './simulateSecAggRound.js';
import { SECAGG_STAGES, type SecAggStage } from './SecAggStage.js';

function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `party-${i}`);
}

function inputsFor(n: number, m: number, seed: string, maxAbs: number): Float64Array[] {
  const rng = seededRandomSource(seed, 'test/inputs');
  return Array.from({ length: n }, () => Float64Array.from({ length: m }, () => uniformInt(rng, 2 * maxAbs + 1) - maxAbs));
}

function expected(inputs: readonly SignedVector[], keep: (i: number) => boolean, bits: 32 | 64): bigint[] {
  return sumToBigInts(plainSum(inputs.filter((_, i) => keep(i)), bits, 2n ** 40n));
}

async function expectTooFew(p: Promise<unknown>): Promise<FedsynthError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FedsynthError);
  expect((e as FedsynthError).code).toBe(ErrorCode.TooFewSurvivors);
  return e as FedsynthError;
}

describe('simulateSecAggRound', () => {
  for (const modulusBits of [32, 64] as const) {
    it(`sums exactly with no dropouts (Z_2^${modulusBits})`, async () => {
      const config: RoundConfig = { roundId: 'round-a', parties: ids(4), threshold: 3, vectorLength: 50, modulusBits };
      const inputs = inputsFor(4, 50, 'a', 1000);
      const r = await simulateSecAggRound({ config, inputs, seed: 'a' });
      expect(sumToBigInts(r.sum)).toEqual(expected(inputs, () => true, modulusBits));
      expect(r.dropped).toEqual([]);
    });
  }

  it('handles values near the 64-bit bound (BigInt64Array inputs)', async () => {
    const big = 2n ** 61n;
    const inputs = [BigInt64Array.from([big, -big, 5n]), BigInt64Array.from([big - 1n, -big, -6n]), BigInt64Array.from([1n, 0n, 0n])];
    const config: RoundConfig = { roundId: 'r64', parties: ids(3), threshold: 2, vectorLength: 3, modulusBits: 64, maxAbsValue: big };
    const r = await simulateSecAggRound({ config, inputs, seed: 'b' });
    expect(sumToBigInts(r.sum)).toEqual([2n * big, -2n * big, -1n]);
  });

  for (const stage of SECAGG_STAGES) {
    it(`survives one dropout at '${stage}'`, async () => {
      const config: RoundConfig = { roundId: `drop-${stage}`, parties: ids(5), threshold: 3, vectorLength: 20, modulusBits: 32 };
      const inputs = inputsFor(5, 20, stage, 500);
      const dropAt = new Map<string, SecAggStage>([['party-2', stage]]);
      const r = await simulateSecAggRound({ config, inputs, seed: stage, dropAt });
      // A party that sent its masked input is in the sum even if it vanishes afterwards.
      const inSum = SECAGG_STAGES.indexOf(stage) > SECAGG_STAGES.indexOf('maskedInput');
      expect(sumToBigInts(r.sum)).toEqual(expected(inputs, (i) => i !== 2 || inSum, 32));
      expect(r.survivors.includes('party-2')).toBe(inSum);
    });

    it(`fails cleanly below threshold at '${stage}'`, async () => {
      const config: RoundConfig = { roundId: `fail-${stage}`, parties: ids(5), threshold: 4, vectorLength: 4, modulusBits: 32 };
      const dropAt = new Map<string, SecAggStage>([
        ['party-0', stage],
        ['party-3', stage],
      ]);
      let unmaskReplies = 0;
      const onReply = (r: { stage: SecAggStage }): void => void (r.stage === 'unmask' && unmaskReplies++);
      const e = await expectTooFew(simulateSecAggRound({ config, inputs: inputsFor(5, 4, 'x', 9), seed: 'x', dropAt, onReply }));
      expect(e.details.failedStage).toBe(stage);
      // Nothing is revealed: no share of any secret leaves a party unless the round reached unmask.
      if (stage !== 'unmask') expect(unmaskReplies).toBe(0);
    });
  }

  it('sparse SecAgg+ graph sums exactly with dropouts', async () => {
    const config: RoundConfig = { roundId: 'sparse', parties: ids(16), threshold: 9, vectorLength: 30, modulusBits: 32, neighbours: 6 };
    const inputs = inputsFor(16, 30, 'sparse', 100);
    const dropAt = new Map<string, SecAggStage>([
      ['party-1', 'maskedInput'],
      ['party-7', 'shareKeys'],
      ['party-9', 'unmask'],
    ]);
    const r = await simulateSecAggRound({ config, inputs, seed: 'sparse', dropAt });
    expect(sumToBigInts(r.sum)).toEqual(expected(inputs, (i) => i !== 1 && i !== 7, 32));
    expect(r.dropped).toEqual(['party-1']);
  });

  it('property: random n in 3..20, random dropouts at random stages, exact sum or clean failure', async () => {
    const rng = seededRandomSource('property', 'test/secagg');
    let succeeded = 0;
    let failed = 0;
    for (let trial = 0; trial < 18; trial++) {
      const n = 3 + uniformInt(rng, 18);
      const t = 2 + uniformInt(rng, n - 1);
      const sparse = n >= 8 && uniformInt(rng, 2) === 1;
      const config: RoundConfig = {
        roundId: `prop-${trial}`,
        parties: ids(n),
        threshold: t,
        vectorLength: 1 + uniformInt(rng, 16),
        modulusBits: uniformInt(rng, 2) === 0 ? 32 : 64,
        ...(sparse ? { neighbours: 4 } : {}),
      };
      const inputs = inputsFor(n, config.vectorLength, `p${trial}`, 1 << 20);
      const dropAt = new Map<string, SecAggStage>();
      const drops = uniformInt(rng, Math.max(1, Math.floor(n / 2)) + 1);
      for (let d = 0; d < drops; d++) dropAt.set(`party-${uniformInt(rng, n)}`, SECAGG_STAGES[uniformInt(rng, 5)]);
      try {
        const r = await simulateSecAggRound({ config, inputs, seed: `p${trial}`, dropAt });
        const inSum = new Set(r.survivors);
        expect(sumToBigInts(r.sum)).toEqual(expected(inputs, (i) => inSum.has(`party-${i}`), config.modulusBits));
        // Exactly the parties that did not drop before sending masked input are summed.
        for (const [i, p] of config.parties.entries()) {
          const st = dropAt.get(p);
          const shouldSum = st === undefined || SECAGG_STAGES.indexOf(st) > SECAGG_STAGES.indexOf('maskedInput');
          expect(inSum.has(p), `party ${i}`).toBe(shouldSum);
        }
        succeeded++;
      } catch (e) {
        expect(e).toBeInstanceOf(FedsynthError);
        expect((e as FedsynthError).code).toBe(ErrorCode.TooFewSurvivors);
        failed++;
      }
    }
    expect(succeeded).toBeGreaterThan(5);
    expect(failed).toBeGreaterThan(0);
  });

  it('is reproducible under a seed: same masked inputs byte for byte', async () => {
    const config: RoundConfig = { roundId: 'repro', parties: ids(3), threshold: 2, vectorLength: 8, modulusBits: 32 };
    const inputs = inputsFor(3, 8, 'repro', 50);
    const capture = async (): Promise<string[]> => {
      const out: string[] = [];
      await simulateSecAggRound({
        config,
        inputs,
        seed: 'repro',
        onReply: (r) => {
          if (r.stage === 'maskedInput') out.push(Buffer.from(r.masked).toString('hex'));
        },
      });
      return out;
    };
    expect(await capture()).toEqual(await capture());
  });
});
