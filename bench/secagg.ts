// secagg bench: wall time, bytes sent per party and peak RSS of one aggregation round in the
// modes plain / masking (Bonawitz; SecAgg+ sparse) / he (BFV), over n parties and vectors of m.
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { runHeRound } from '../shared/he/runHeRound.js';
import { addInto, encodeSigned, vectorFromBytes, vectorToBytes, zeroVector } from '../shared/secagg/ModularVector.js';
import { runSecAggRound } from '../shared/secagg/runSecAggRound.js';
import type { SecAggStage } from '../shared/secagg/SecAggStage.js';

type Mode = 'plain' | 'masking' | 'masking+' | 'he';
interface Case {
  n: number;
  m: number;
  dropout: number;
  mode: Mode;
}

const MAX_ABS = 1n << 20n;

function makeInputs(n: number, m: number): Float64Array[] {
  const rng = seededRandomSource('bench', 'secagg/inputs');
  return Array.from({ length: n }, () => {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = (rng.nextUint32() & 0x1fffff) - 0x100000;
    return v;
  });
}

function grid(full: boolean): Case[] {
  const cases: Case[] = [];
  const ns = [3, 10, 50];
  const ms = [1e4, 1e6];
  for (const n of ns) {
    for (const m of ms) {
      for (const dropout of [0, 0.1]) {
        const big = n * m;
        for (const mode of ['plain', 'masking', 'masking+', 'he'] as Mode[]) {
          if (mode === 'masking+' && n < 10) continue;
          if (full) {
            cases.push({ n, m, dropout, mode });
            continue;
          }
          // Default run (~1 min): m = 1e4 (he up to n = 10), the n = 10, m = 1e6 goal; the rest is BENCH_FULL=1.
          if (m === 1e4 && (mode !== 'he' || n <= 10) && !(dropout > 0 && n === 50 && mode === 'masking')) cases.push({ n, m, dropout, mode });
          else if (m === 1e6 && n === 10 && mode !== 'he' && big <= 1e7) cases.push({ n, m, dropout, mode });
        }
      }
    }
  }
  return cases;
}

async function runCase(c: Case, inputs: Float64Array[]): Promise<{ bytesPerParty: number; survivors: number }> {
  const parties = Array.from({ length: c.n }, (_, i) => `p${i}`);
  const drops = Math.round(c.n * c.dropout);
  const dropped = parties.slice(1, 1 + drops); // drop after sharing keys: the costly recovery path
  if (c.mode === 'plain') {
    const acc = zeroVector(c.m, 32);
    let bytes = 0;
    for (const [i, p] of parties.entries()) {
      if (dropped.includes(p)) continue;
      const wire = vectorToBytes(encodeSigned(inputs[i], 32, MAX_ABS)); // what a party would upload
      bytes = wire.byteLength;
      addInto(acc, vectorFromBytes(wire), 32);
    }
    return { bytesPerParty: bytes, survivors: c.n - drops };
  }
  if (c.mode === 'he') {
    const r = await runHeRound({ roundId: 'bench', parties, threshold: Math.ceil((2 * c.n) / 3), inputs, maxAbsValue: MAX_ABS, dropped: new Set(dropped), seed: 'bench' });
    return { bytesPerParty: Math.max(...r.bytesSent.values()), survivors: r.contributors.length };
  }
  const neighbours = c.mode === 'masking+' ? Math.min(c.n - 1, 2 * Math.ceil(Math.log2(c.n))) : undefined;
  const r = await runSecAggRound({
    config: { roundId: 'bench', parties, threshold: Math.ceil((2 * c.n) / 3), vectorLength: c.m, modulusBits: 32, maxAbsValue: MAX_ABS, ...(neighbours ? { neighbours } : {}) },
    inputs,
    seed: 'bench',
    dropAt: new Map(dropped.map((p) => [p, 'maskedInput' as SecAggStage])),
  });
  return { bytesPerParty: Math.max(...r.survivors.map((p) => r.bytesSent.get(p)!)), survivors: r.survivors.length };
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const full = process.env.BENCH_FULL === '1';
  let inputs: Float64Array[] = [];
  let key = '';
  for (const c of grid(full)) {
    if (key !== `${c.n}/${c.m}`) {
      inputs = makeInputs(c.n, c.m);
      key = `${c.n}/${c.m}`;
    }
    const t0 = performance.now();
    const r = await runCase(c, inputs);
    const wall = (performance.now() - t0) / 1000;
    emit({
      bench: 'secagg',
      n: c.n,
      m: c.m,
      mode: c.mode,
      dropout: c.dropout,
      survivors: r.survivors,
      wallSeconds: Number(wall.toFixed(3)),
      bytesSentPerParty: r.bytesPerParty,
      uploadVsPlain: Number((r.bytesPerParty / (4 * c.m)).toFixed(3)),
      // Process-wide peak so far (monotone over the run): read it on the largest case.
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      ...(c.mode === 'he' ? { heSecondsPerMillionValuesPerParty: Number(((wall / r.survivors) * (1e6 / c.m)).toFixed(2)) } : {}),
    });
  }
}

