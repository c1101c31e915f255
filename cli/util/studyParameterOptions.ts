// studyParameterOptions: the options that define a study's privacy and protocol (--epsilon, --delta,
// --mechanism, --aggregation, and dpsgd's training terms), declared once for simulate, study create and demo.
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { DEFAULT_DPSGD_TRAINING, completeDpsgdTraining } from '../../shared/study/dpsgdTraining.js';
import type { DpsgdTraining, MechanismName } from '../../shared/study/StudySpec.js';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';

/** The training flags as commander hands them over (strings; absent = the default). */
export interface TrainingFlags {
  rounds?: string;
  sampleRate?: string;
  clipNorm?: string;
  hidden?: string;
  latent?: string;
  learningRate?: string;
}

/** Adds the study options, with the same help text and defaults everywhere, to `cmd`. */
export function studyParameterOptions(cmd: Command): Command {
  const d = DEFAULT_DPSGD_TRAINING;
  return cmd
    .option('--epsilon <e>', 'privacy budget epsilon', '1')
    .option('--delta <d>', 'privacy budget delta', '1e-9')
    .option('--mechanism <m>', 'aim | mst | dpsgd (a TVAE-style generator trained by federated DP-SGD); simulate: a comma list (e.g. aim,dpsgd) compares models', 'aim')
    .option('--aggregation <a>', 'masking | he | plain (plain: no secure aggregation, tests only)', 'masking')
    .option('--rounds <t>', `dpsgd: gradient rounds (default ${d.rounds})`)
    .option('--sample-rate <q>', `dpsgd: Poisson sampling rate of each party's rows per round (default ${d.sampleRate})`)
    .option('--clip-norm <c>', `dpsgd: per-example L2 clip norm (default ${d.clipNorm})`)
    .option('--hidden <w,...>', `dpsgd: hidden layer widths of the encoder (default ${d.hidden.join(',')})`)
    .option('--latent <k>', `dpsgd: latent dimension (default ${d.latent})`)
    .option('--learning-rate <lr>', `dpsgd: the coordinator's Adam step size (default ${d.learningRate})`);
}

/** The mechanism named by --mechanism, or INVALID_ARGUMENT. */
export function mechanismOption(value: string): MechanismName {
  if (value === 'mst' || value === 'aim' || value === 'dpsgd') return value;
  if (value.includes(',')) {
    throw new FedsynthError(
      ErrorCode.InvalidArgument,
      `--mechanism ${value}: comparing models on one report runs in \`fedsynth simulate\` only (it scores each model against rows only a simulation holds); in a deployment create one study per mechanism, each with its share of the budget (--epsilon, --delta)`,
      { field: '--mechanism' },
    );
  }
  throw new FedsynthError(ErrorCode.InvalidArgument, `--mechanism must be aim, mst or dpsgd, got '${value}'`, { field: '--mechanism' });
}

/**
 * The mechanisms named by --mechanism: one name, or a comma list of different ones to compare
 * (e.g. `aim,dpsgd`); INVALID_ARGUMENT naming --mechanism for an unknown or repeated name.
 */
export function mechanismListOption(value: string): MechanismName[] {
  const names = value.split(',').map((m) => m.trim());
  const list = names.map((m) => {
    if (m === 'mst' || m === 'aim' || m === 'dpsgd') return m;
    throw new FedsynthError(ErrorCode.InvalidArgument, `--mechanism must be aim, mst or dpsgd, or a comma list of them to compare (e.g. aim,dpsgd), got '${value}'`, { field: '--mechanism' });
  });
  if (new Set(list).size !== list.length) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--mechanism names a mechanism twice: '${value}'`, { field: '--mechanism' });
  }
  return list;
}

/**
 * The dpsgd training terms of the flags (defaults filled and checked) when `mechanisms` include
 * dpsgd; INVALID_ARGUMENT when they are given and none is dpsgd.
 */
export function trainingOption(mechanisms: MechanismName | readonly MechanismName[], f: TrainingFlags): DpsgdTraining | undefined {
  const given = [f.rounds, f.sampleRate, f.clipNorm, f.hidden, f.latent, f.learningRate].some((v) => v !== undefined);
  if (!(typeof mechanisms === 'string' ? [mechanisms] : mechanisms).includes('dpsgd')) {
    if (given) throw new FedsynthError(ErrorCode.InvalidArgument, '--rounds, --sample-rate, --clip-norm, --hidden, --latent and --learning-rate apply to --mechanism dpsgd only');
    return undefined;
  }
  const num = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!Number.isFinite(x)) throw new FedsynthError(ErrorCode.InvalidArgument, `${flag} must be a number, got '${v}'`, { field: flag });
    return x;
  };
  return completeDpsgdTraining({
    rounds: num(f.rounds, '--rounds'),
    sampleRate: num(f.sampleRate, '--sample-rate'),
    clipNorm: num(f.clipNorm, '--clip-norm'),
    hidden: f.hidden === undefined ? undefined : f.hidden.split(',').map((w) => num(w.trim(), '--hidden') ?? 0),
    latent: num(f.latent, '--latent'),
    learningRate: num(f.learningRate, '--learning-rate'),
  });
}

/** The share of a study's rho `--pooled-risk on` reserves for the post-delivery pooled risk release. */
export const DEFAULT_POOLED_RISK_SHARE = 0.1;

/**
 * --pooled-risk: `off` (the default: every study's budget goes to synthesis unless the operator
 * states otherwise), `on` (DEFAULT_POOLED_RISK_SHARE of the study's rho), or a share in (0, 0.5].
 * Returns StudySpec.evaluationRho from the study's (epsilon, delta); the coordinator and every agent
 * check it fits the budget before the study starts.
 */
export function pooledRiskOption(value: string, epsilon: number, delta: number): number {
  if (value === 'off') return 0;
  const share = value === 'on' ? DEFAULT_POOLED_RISK_SHARE : Number(value);
  if (!(share > 0 && share <= 0.5)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--pooled-risk must be off, on or a share of the budget in (0, 0.5], got '${value}'`, { field: '--pooled-risk' });
  }
  return share * rhoFromEpsilon(epsilon, delta);
}
