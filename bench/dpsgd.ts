// dpsgd bench: the federated DP-SGD round (mechanism dpsgd) end to end on a LocalConsortium (real
// coordinator and agents, gRPC over mTLS on 127.0.0.1) at about 1e5 and 1e6 model parameters, plain
// and masking with the same seed and rounds: rounds/s, examples/s per party, upload bytes per round
// per party, and masking's overhead over plain. Few rounds on a few thousand Adult rows.
//
// One process: the three agents and the coordinator share the machine's cores, so a round's wall
// time is everybody's work interleaved (in a deployment each party computes on its own machine).
// rounds/s: gradient rounds over the wall time from the end of the row-count round to the end of the
// last gradient round (server Adam and the weight broadcast included). examples/s per party: the
// EXPECTED examples (q times the party's rows; the realised batch is never released) over that
// agent's own compute time (fedsynth_agent_round_duration_seconds: from the compute stage to its reply,
// clipping, discretization, noise and masking included). Upload: fedsynth_agent_sent_bytes_total
// (protobuf bytes the agent sent; gRPC framing and TLS not counted) over the gradient rounds.
// A discarded 1-round warm-up study runs first. 3 gradient rounds at 1e5, 1 at 1e6.
// BENCH_DPSGD_SIZES=1e5 runs the small model only; BENCH_DPSGD_ROWS sets the input rows (default 6000).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { completeDpsgdTraining } from '../shared/study/dpsgdTraining.js';
import { modelDimension, vaeSpecForStudy } from '../shared/synth/dpsgdModel.js';
import type { DpsgdTraining } from '../shared/study/StudySpec.js';
import { silentLogger } from '../platform/logging/logging.js';
import { LocalConsortium } from '../simulation/LocalConsortium.js';
import { runSimulatedStudy } from '../simulation/runSimulatedStudy.js';
import { splitSimulationTable } from '../simulation/runSimulation.js';
import { simulatedPolicy, simulatedStudyCapEpsilon } from '../simulation/simulatedStudyCap.js';
import { projectRoot } from './_projectRoot.js';

const PARTIES = 3;
const EPSILON = 1;
const DELTA = 1e-9;
const SAMPLE_RATE = 0.02;
const SEED = 'bench-dpsgd';

/** The one-hidden-layer width whose model is closest to `target` parameters on this domain. */
function widthFor(target: number, domain: Domain, latent: number): { hidden: number; parameters: number } {
  let best = { hidden: 1, parameters: 0 };
  for (let h = 8; h <= 4096; h += 8) {
    const parameters = modelDimension(vaeSpecForStudy(completeDpsgdTraining({ hidden: [h], latent }), domain, ''));
    if (Math.abs(parameters - target) < Math.abs(best.parameters - target)) best = { hidden: h, parameters };
    if (parameters > target) break;
  }
  return best;
}

interface CaseResult {
  seconds: number;
  rounds: number;
  sentBytesPerParty: number[];
  computeSecondsPerParty: number[];
  weights: string;
}

async function runCase(domain: Domain, tables: EncodedTable[], training: DpsgdTraining, aggregation: 'plain' | 'masking'): Promise<CaseResult> {
  const terms = { epsilon: EPSILON, delta: DELTA, training, aggregation, parties: PARTIES, colluders: 0, drop: 0 };
  const consortium = new LocalConsortium({
    domain,
    sources: tables.map((t) => new InMemoryMarginalSource(t)),
    log: silentLogger(),
    seed: SEED,
    policy: simulatedPolicy(simulatedStudyCapEpsilon(terms), DELTA),
    agentMetrics: true,
    roundTimeoutMs: 600_000,
  });
  try {
    await consortium.start();
    const totals = () => Promise.all(consortium.agentMetrics.map((m) => m.totals()));
    let start: { t: number; totals: Awaited<ReturnType<typeof totals>> } | undefined;
    let startPending: Promise<void> | undefined;
    let end: { t: number } | undefined;
    const study = await runSimulatedStudy(consortium, {
      ...terms,
      mechanism: 'dpsgd',
      domain,
      rows: 100,
      seed: SEED,
      idSalt: '',
      splitText: 'random',
      log: silentLogger(),
      // Round 1 is the noisy row count; rounds 2..T+1 are the gradient rounds.
      onStatus: (st) => {
        const done = st.roundsDone;
        if (done >= 1 && !startPending) {
          const t = performance.now();
          startPending = totals().then((x) => void (start = { t, totals: x }));
        }
        if (done >= training.rounds + 1 && !end) end = { t: performance.now() };
      },
    });
    await startPending;
    const after = await totals();
    if (!start || !end) throw new Error('the study ended without reporting its gradient rounds');
    const s = start;
    const model = JSON.parse(readFileSync(join(study.outputsDir, 'model.json'), 'utf8')) as { model: { weights: string } };
    return {
      seconds: (end.t - s.t) / 1000,
      rounds: training.rounds,
      sentBytesPerParty: after.map((a, i) => a.sentBytes - s.totals[i].sentBytes),
      computeSecondsPerParty: after.map((a, i) => a.roundSeconds - s.totals[i].roundSeconds),
      weights: model.model.weights,
    };
  } finally {
    await consortium.stop();
  }
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const root = projectRoot();
  const domain = Domain.fromJson(JSON.parse(readFileSync(join(root, 'data/adult-domain.json'), 'utf8')) as Record<string, number>);
  const rows = Number(process.env.BENCH_DPSGD_ROWS ?? 6000);
  const text = readFileSync(join(root, 'data/adult.csv'), 'utf8').split('\n').slice(0, rows + 1).join('\n') + '\n';
  const table = EncodedTable.fromCsv(text, domain);
  const tables = splitSimulationTable({ table, parties: PARTIES, split: parsePartySplit('random'), seed: SEED, drop: 0, colluders: 0 }).map((p) => p.table);
  const sizes = (process.env.BENCH_DPSGD_SIZES ?? '1e5,1e6').split(',').map(Number);
  // Warm-up, not reported: the first gradient round in a process starts the tfjs WebAssembly
  // backend and compiles its kernels (measured: it made the first case's rounds several times slower).
  await runCase(domain, tables, completeDpsgdTraining({ rounds: 1, sampleRate: SAMPLE_RATE, hidden: [8], latent: 2 }), 'plain');
  for (const target of sizes) {
    const latent = 16;
    const { hidden, parameters } = widthFor(target, domain, latent);
    // Fewer rounds for the large model keep the bench within a few minutes.
    const rounds = target >= 5e5 ? 1 : 3;
    const training = completeDpsgdTraining({ rounds, sampleRate: SAMPLE_RATE, hidden: [hidden], latent });
    const settings = {
      targetParameters: target, parameters, hidden: [hidden], latent, rounds, sampleRate: SAMPLE_RATE, parties: PARTIES,
      partyRows: tables.map((t) => t.rowCount), epsilon: EPSILON, delta: DELTA, seed: SEED, data: `data/adult.csv (first ${rows} rows, coded, random split)`,
    };
    const results: Partial<Record<'plain' | 'masking', CaseResult>> = {};
    for (const aggregation of ['plain', 'masking'] as const) {
      const r = await runCase(domain, tables, training, aggregation);
      results[aggregation] = r;
      const expected = tables.map((t) => SAMPLE_RATE * t.rowCount);
      emit({
        case: `${target.toExponential(0)} parameters, ${aggregation}`,
        aggregation,
        ...settings,
        gradientRoundsSeconds: r.seconds,
        roundsPerSecond: r.rounds / r.seconds,
        expectedExamplesPerRoundPerParty: expected,
        partyComputeSecondsPerRound: r.computeSecondsPerParty.map((s) => s / r.rounds),
        examplesPerSecondPerParty: r.computeSecondsPerParty.map((s, i) => (expected[i] * r.rounds) / s),
        uploadBytesPerRoundPerParty: r.sentBytesPerParty.map((b) => Math.round(b / r.rounds)),
        uploadBytesPerParameter: r.sentBytesPerParty.map((b) => b / r.rounds / parameters),
      });
    }
    const plain = results.plain!;
    const masking = results.masking!;
    emit({
      case: `${target.toExponential(0)} parameters, masking over plain`,
      ...settings,
      sameWeights: plain.weights === masking.weights,
      wallTimeRatio: masking.seconds / plain.seconds,
      partyComputeRatio: masking.computeSecondsPerParty.reduce((a, b) => a + b, 0) / plain.computeSecondsPerParty.reduce((a, b) => a + b, 0),
      uploadBytesRatio: masking.sentBytesPerParty.reduce((a, b) => a + b, 0) / plain.sentBytesPerParty.reduce((a, b) => a + b, 0),
    });
  }
}
