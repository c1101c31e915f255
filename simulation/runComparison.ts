// runComparison: `fedsynth simulate --mechanism aim,dpsgd` — one consortium, one study per mechanism
// under a budget split stated up front, charged to the same party ledgers, one report side by side.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { sampleRows } from '../shared/eval/sampleRows.js';
import { splitBudget, type BudgetSplit, type ComparisonBudget } from '../shared/study/BudgetSplit.js';
import type { MechanismName } from '../shared/study/StudySpec.js';
import { buildReportJson } from '../shared/eval/buildReportJson.js';
import { evaluateSynthetic } from '../shared/eval/evaluateSynthetic.js';
import { COMPARISON_REPORT_FORMAT, type ComparedModel, type ComparisonReport } from '../shared/eval/ComparisonReport.js';
import { parseSchema } from '../shared/schema/ConsortiumSchema.js';
import { codeLabels } from '../shared/schema/codeLabels.js';
import { OUTPUT_FILES } from '../coordinator/delivery/StudyOutputs.js';
import { writeReportFiles } from '../platform/report/writeReportFiles.js';
import { syntheticCsvChunks } from '../platform/delivery/syntheticCsvChunks.js';
import { partyLedgerSummary } from './partyLedgerSummary.js';
import { runSimulatedStudy } from './runSimulatedStudy.js';
import { selectRows, simulatedConsortium, splitSimulationTable, type SimulationOptions } from './runSimulation.js';
import { simulatedStudyCapEpsilon } from './simulatedStudyCap.js';

export interface ComparisonOptions extends Omit<SimulationOptions, 'mechanism'> {
  /** Two or more different mechanisms, run in this order. */
  readonly mechanisms: readonly MechanismName[];
  readonly budgetSplit: BudgetSplit;
  /** Column predicted by the utility evaluation (TSTR vs TRTR); default: the last column. */
  readonly target?: string;
  /** Share of the input rows held back as control rows before the split (never trained on; the risk evaluation's reference). */
  readonly controlShare: number;
}

export interface ComparisonResult {
  readonly report: ComparisonReport;
  readonly run: Record<string, unknown>;
}

export const COMPARISON_EVALUATION_NOTE =
  "evaluated against the simulation's own input rows (the training rows of all parties together, and the control rows held back " +
  'before the split): a simulation holds every row. In a real consortium no one holds the pooled rows; each party evaluates locally.';

/** Holds back round(share * n) rows (a seeded sample under `seed`) as control rows; the training part keeps its continuous values. */
function holdBackControl(table: EncodedTable, values: SimulationOptions['values'], share: number, seed: string): { train: ReturnType<typeof selectRows>; control: EncodedTable } {
  const n = table.rowCount;
  const k = Math.round(share * n);
  const isControl = new Uint8Array(n);
  for (const i of sampleRows(n, k, seed, 'simulate/control')) isControl[i] = 1;
  const pick = (want: number): number[] => Array.from({ length: n }, (_, i) => i).filter((i) => isControl[i] === want);
  return { train: selectRows(table, values, pick(0)), control: table.select(pick(1)) };
}

const codeColumns = (t: EncodedTable): Int32Array[] => t.columns.map((c) => Int32Array.from(c));

export async function runComparison(o: ComparisonOptions): Promise<ComparisonResult> {
  const t0 = Date.now();
  const budget: ComparisonBudget = splitBudget(o.epsilon, o.delta, o.mechanisms, o.budgetSplit);
  if (o.drop > 0) throw new FedsynthError(ErrorCode.InvalidArgument, '--drop applies to one mechanism only (a comparison runs its studies on the same parties)', { field: '--drop' });
  if (!(o.controlShare >= 0 && o.controlShare <= 0.5)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--control-share must be in [0, 0.5], got ${o.controlShare}`, { field: '--control-share' });
  }
  const target = o.target ?? o.domain.attrs[o.domain.attrs.length - 1];
  if (!o.domain.attrs.includes(target)) throw new FedsynthError(ErrorCode.InvalidArgument, `--target ${target} is not a column`, { field: '--target' });
  const seed = o.seed ?? randomBytes(16).toString('hex');
  const held = holdBackControl(o.table, o.values, o.controlShare, seed);
  const { control } = held;
  const train = held.train.table;
  const parties = splitSimulationTable({ ...o, table: train, values: held.train.values });
  // Each study is approved under its own share; the ledger's lifetime cap is the basic-composition
  // sum of the per-study caps, read at the smallest per-study delta (stricter than the stated sum).
  const caps = budget.perMechanism.map((b) => simulatedStudyCapEpsilon({ ...o, epsilon: b.epsilon, delta: b.delta, training: b.mechanism === 'dpsgd' ? o.training : undefined }));
  const capDelta = Math.min(...budget.perMechanism.map((b) => b.delta));
  const ledgerCap = { epsilon: caps.reduce((s, c) => s + c, 0), delta: capDelta };
  const consortium = simulatedConsortium(o, parties, { epsilon: Math.max(...caps), delta: Math.max(...budget.perMechanism.map((b) => b.delta)) }, ledgerCap.epsilon);
  const k = o.mechanisms.length;
  o.progress?.update(0, `${budget.statement}; starting a coordinator and ${o.parties} party agents`);
  const studies: { mechanism: MechanismName; studyId: string; seconds: number; run: { privacy: ComparedModel['spent'] } & Record<string, unknown> }[] = [];
  mkdirSync(o.out, { recursive: true });
  let ledgers: ComparisonReport['ledgers'];
  try {
    await consortium.start();
    for (const [i, b] of budget.perMechanism.entries()) {
      const tStudy = Date.now();
      const training = b.mechanism === 'dpsgd' ? o.training : undefined;
      const progress = o.progress && {
        update: (f: number, m: string) => o.progress!.update((i + f) / k, `${b.mechanism} (${i + 1}/${k}, epsilon ${b.epsilon}) ${m}`),
        done: () => undefined,
      };
      const study = await runSimulatedStudy(consortium, { ...o, mechanism: b.mechanism, training, epsilon: b.epsilon, delta: b.delta, idSalt: `:${b.mechanism}`, progress });
      const dir = join(o.out, b.mechanism);
      mkdirSync(dir, { recursive: true });
      for (const f of OUTPUT_FILES) copyFileSync(join(study.outputsDir, f), join(dir, f));
      copyFileSync(join(dir, 'synthetic.csv'), join(o.out, `synthetic-${b.mechanism}.csv`));
      copyFileSync(join(dir, 'model.json'), join(o.out, `model-${b.mechanism}.json`));
      const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as ComparisonResult['run'] & { privacy: ComparedModel['spent'] };
      studies.push({ mechanism: b.mechanism, studyId: study.studyId, seconds: (Date.now() - tStudy) / 1000, run });
    }
    const ledgerStudies = studies.map((s, i) => ({ studyId: s.studyId, mechanism: s.mechanism, delta: budget.perMechanism[i].delta }));
    ledgers = consortium.partyIds.map((p) => partyLedgerSummary(p, join(consortium.dir, 'agents', p, 'ledger.sqlite'), ledgerStudies, budget.combined.delta));
  } finally {
    await consortium.stop();
  }
  o.progress?.update(0.99, `evaluating ${k} synthetic tables against the input (${train.rowCount} training rows, ${control.rowCount} control rows)`);
  const schema = o.schemaJson ? parseSchema(JSON.parse(o.schemaJson)) : null;
  const labels = schema ? codeLabels(schema) : null;
  const trainRows = codeColumns(train);
  const controlRows = control.rowCount > 0 ? codeColumns(control) : null;
  const models: ComparedModel[] = studies.map((s, i) => {
    const tEval = performance.now();
    const scored = evaluateSynthetic({
      columns: o.domain.attrs,
      sizes: o.domain.shape,
      schema,
      synthetic: syntheticCsvChunks(join(o.out, `synthetic-${s.mechanism}.csv`), { columns: o.domain.attrs, sizes: o.domain.shape, schema, name: `synthetic-${s.mechanism}.csv` }),
      rows: trainRows,
      control: controlRows,
      controlAsHoldout: true,
      target,
      seed: `compare/${seed}`,
      party: null,
    });
    const report = buildReportJson({
      title: `${s.mechanism}`,
      labels,
      evaluation: scored.evaluation,
      privacySpent: s.run.privacy,
      risk: { risk: scored.risk, riskPerSilo: [] },
      parameters: { mechanism: s.mechanism, study: s.studyId, evaluatedAgainst: COMPARISON_EVALUATION_NOTE, evaluationSeconds: Math.round(performance.now() - tEval) / 1000 },
    });
    return {
      mechanism: s.mechanism,
      studyId: s.studyId,
      budget: { epsilon: budget.perMechanism[i].epsilon, delta: budget.perMechanism[i].delta },
      spent: { rho: s.run.privacy.rho, epsilon: s.run.privacy.epsilon, delta: s.run.privacy.delta },
      files: { synthetic: `synthetic-${s.mechanism}.csv`, model: `model-${s.mechanism}.json`, signedOutputs: `${s.mechanism}/` },
      studySeconds: s.seconds,
      report,
    };
  });
  const report: ComparisonReport = {
    format: COMPARISON_REPORT_FORMAT,
    title: `fedsynth model comparison: ${o.mechanisms.join(' vs ')}`,
    columns: o.domain.attrs,
    labels: models[0].report.labels,
    rows: { training: train.rowCount, control: control.rowCount },
    budget: { ...budget, ledgerCap },
    ledgers,
    models,
    parameters: {
      parties: o.parties,
      split: o.splitText,
      aggregation: o.aggregation,
      seed: o.seed ?? '(none: random)',
      target,
      controlShare: o.controlShare,
      syntheticRows: o.rows,
      ...(o.training ? { dpsgdTraining: JSON.stringify(o.training) } : {}),
    },
    notes: [COMPARISON_EVALUATION_NOTE, ...models.flatMap((m) => m.report.unavailable.map((u) => `${m.mechanism}: ${u}`))],
  };
  writeReportFiles(o.out, report);
  const run = {
    format: 'fedsynth-comparison-run/v1',
    command: 'simulate',
    mechanisms: o.mechanisms,
    budget: report.budget,
    ledgers,
    studies: studies.map((s) => ({ mechanism: s.mechanism, studyId: s.studyId, seconds: s.seconds, privacy: s.run.privacy, rounds: s.run.rounds })),
    parties: o.parties,
    split: o.splitText,
    seed: o.seed ?? null,
    colluders: o.colluders,
    partyRows: parties.map((p) => p.table.rowCount),
    controlRows: control.rowCount,
    timings: { totalSeconds: (Date.now() - t0) / 1000 },
  };
  writeFileSync(join(o.out, 'simulate.json'), JSON.stringify(run, null, 2));
  o.progress?.done(`done: ${k} models in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${join(o.out, 'report.html')}`);
  return { report, run };
}
