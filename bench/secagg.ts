// secagg bench: wall time, bytes sent per party and peak RSS of one aggregation round in the
// modes plain / masking (Bonawitz; SecAgg+ sparse) / he (BFV), over n parties and vectors of m.
// In-process: all parties and the server share one thread, so wall time is the SUM of everybody's
// work; per-party and server CPU seconds are reported beside it (parties run in parallel in a
// deployment; bench/secaggLoopback.ts measures the real gRPC path). Upload bytes are the real
// protocol-v1 encoding (AgentMessage{round_reply} + 5-byte gRPC frame per message).
import { availableParallelism } from 'node:os';
import { AgentMessage, type RoundReply } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import type { PartyReply } from '../shared/secagg/SecAggMessages.js';
import { replyFromWire, replyToWire } from '../platform/wire/secaggWire.js';
import { simulateHeRound } from '../shared/he/simulateHeRound.js';
import { addInto, encodeSigned, vectorFromBytes, vectorToBytes, zeroVector } from '../shared/secagg/ModularVector.js';
import { simulateSecAggRound } from '../shared/secagg/simulateSecAggRound.js';
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

interface CaseResult {
  bytesPerParty: number;
  survivors: number;
  /** Largest / mean per-party CPU seconds, and the coordinator's (masking and plain only). */
  partyCpuMax?: number;
  partyCpuMean?: number;
  serverCpu?: number;
}

/** CPU seconds of this process (user + system): immune to waiting for other processes' load. */
const cpuClock = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Bytes of one RoundReply on the wire: AgentMessage{seq, round_reply} plus the gRPC frame header. */
export function wireBytes(stage: NonNullable<RoundReply['stage']>, roundId: string): number {
  const msg: AgentMessage = { seq: 1000, body: { $case: 'roundReply', value: { studyId: 'study-0001', roundId, attempt: 1, stage } } };
  return AgentMessage.encode(msg).finish().byteLength + 5;
}

async function runCase(c: Case, inputs: Float64Array[]): Promise<CaseResult> {
  const parties = Array.from({ length: c.n }, (_, i) => `party-${String(i + 1).padStart(2, '0')}`);
  const drops = Math.round(c.n * c.dropout);
  const dropped = parties.slice(1, 1 + drops); // drop after sharing keys: the costly recovery path
  if (c.mode === 'plain') {
    const acc = zeroVector(c.m, 32);
    let bytes = 0;
    let partyCpu = 0;
    let serverCpu = 0;
    for (const [i, p] of parties.entries()) {
      if (dropped.includes(p)) continue;
      const t0 = cpuClock();
      const wire = vectorToBytes(encodeSigned(inputs[i], 32, MAX_ABS)); // what a party would upload
      bytes = wireBytes({ $case: 'plain', value: { noisyVector: Buffer.from(wire.buffer, wire.byteOffset, wire.byteLength), elementBits: 32 } }, 'bench');
      const t1 = cpuClock();
      addInto(acc, vectorFromBytes(wire), 32);
      partyCpu = Math.max(partyCpu, t1 - t0);
      serverCpu += cpuClock() - t1;
    }
    return { bytesPerParty: bytes, survivors: c.n - drops, partyCpuMax: partyCpu, partyCpuMean: partyCpu, serverCpu };
  }
  if (c.mode === 'he') {
    const r = await simulateHeRound({ roundId: 'bench', parties, threshold: Math.ceil((2 * c.n) / 3), inputs, maxAbsValue: MAX_ABS, dropped: new Set(dropped), seed: 'bench' });
    return { bytesPerParty: Math.max(...r.bytesSent.values()), survivors: r.contributors.length };
  }
  const neighbours = c.mode === 'masking+' ? Math.min(c.n - 1, 2 * Math.ceil(Math.log2(c.n))) : undefined;
  const uploaded = new Map<string, number>();
  // Every reply goes through its real wire form (compact uploads) and back before the server sees it.
  const viaWire = (reply: PartyReply): PartyReply => {
    const stage = replyToWire(reply);
    uploaded.set(reply.from, (uploaded.get(reply.from) ?? 0) + wireBytes(stage, reply.roundId));
    return replyFromWire(reply.roundId, reply.from, stage).reply;
  };
  const r = await simulateSecAggRound({
    config: { roundId: 'bench', parties, threshold: Math.ceil((2 * c.n) / 3), vectorLength: c.m, modulusBits: 32, maxAbsValue: MAX_ABS, ...(neighbours ? { neighbours } : {}) },
    inputs,
    seed: 'bench',
    dropAt: new Map(dropped.map((p) => [p, 'maskedInput' as SecAggStage])),
    onReply: viaWire,
    clock: cpuClock,
  });
  const cpu = r.survivors.map((p) => r.partySeconds.get(p)!);
  return {
    bytesPerParty: Math.max(...r.survivors.map((p) => uploaded.get(p)!)),
    survivors: r.survivors.length,
    partyCpuMax: Math.max(...cpu),
    partyCpuMean: cpu.reduce((a, b) => a + b, 0) / cpu.length,
    serverCpu: r.serverSeconds,
  };
}

const r3 = (x: number | undefined): number | undefined => (x === undefined ? undefined : Number(x.toFixed(3)));

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const full = process.env.BENCH_FULL === '1';
  const cores = availableParallelism();
  let inputs: Float64Array[] = [];
  let key = '';
  const plainBytes = new Map<string, number>();
  // BENCH_SECAGG_N / _M / _MODE: run only the matching cases of the (full) grid, e.g. the
  // memory check BENCH_FULL=1 BENCH_SECAGG_N=50 BENCH_SECAGG_M=1000000 BENCH_SECAGG_MODE=masking.
  const env = process.env;
  const want = (c: Case): boolean =>
    (env.BENCH_SECAGG_N === undefined || Number(env.BENCH_SECAGG_N) === c.n) &&
    (env.BENCH_SECAGG_M === undefined || Number(env.BENCH_SECAGG_M) === c.m) &&
    (env.BENCH_SECAGG_MODE === undefined || env.BENCH_SECAGG_MODE === c.mode || c.mode === 'plain');
  for (const c of grid(full).filter(want)) {
    if (key !== `${c.n}/${c.m}`) {
      inputs = makeInputs(c.n, c.m);
      key = `${c.n}/${c.m}`;
    }
    const t0 = performance.now();
    const r = await runCase(c, inputs);
    const wall = (performance.now() - t0) / 1000;
    if (c.mode === 'plain') plainBytes.set(key, r.bytesPerParty);
    const plain = plainBytes.get(key) ?? 4 * c.m;
    emit({
      bench: 'secagg',
      cores,
      n: c.n,
      m: c.m,
      mode: c.mode,
      dropout: c.dropout,
      survivors: r.survivors,
      wallSeconds: Number(wall.toFixed(3)),
      // CPU seconds of the slowest / average party and of the coordinator (parallel in a deployment).
      partyCpuSecondsMax: r3(r.partyCpuMax),
      partyCpuSecondsMean: r3(r.partyCpuMean),
      serverCpuSeconds: r3(r.serverCpu),
      bytesSentPerParty: r.bytesPerParty,
      uploadVsPlain: Number((r.bytesPerParty / plain).toFixed(3)),
      // Process-wide peak so far (monotone over the run): read it on the largest case.
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      ...(c.mode === 'he' ? { heSecondsPerMillionValuesPerParty: Number(((wall / r.survivors) * (1e6 / c.m)).toFixed(2)) } : {}),
    });
  }
}
