// The `fedsynth demo` command: the main job on an embedded default — a local three-hospital
// consortium (separate processes, mTLS on 127.0.0.1) on bundled sample data, outputs in --out.
import type { Command } from 'commander';
import { mechanismOption, studyParameterOptions, trainingOption, type TrainingFlags } from '../util/studyParameterOptions.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { numberOption } from '../util/readInput.js';
import { Progress } from '../util/Progress.js';
import { runDemo } from '../demo/runDemo.js';

/**
 * Gradient rounds of `fedsynth demo --mechanism dpsgd` unless --rounds says otherwise: every round
 * is a full secure-aggregation exchange among the 3 processes (a few seconds each on 2 cores), so
 * 40 rounds show the whole path (charge per round, masked sums, model in the signed bundle) within
 * minutes; the study default (300) trains a better model in about 25 minutes (docs/synthesis.md).
 */
export const DEMO_DPSGD_ROUNDS = 40;

export function register(program: Command): void {
  const demo = program
    .command('demo')
    .description(
      'Run a local consortium demo: creates a CA and startup kits in a temp dir, starts a coordinator and\n' +
        '3 party-agent processes on 127.0.0.1 (mutual TLS), splits the bundled UCI Adult sample among them\n' +
        '(non-IID), each hospital holding back 20% of its rows as a control sample (never trained on),\n' +
        'runs one differentially private study, and writes synthetic.csv, synthetic.parquet, model.json,\n' +
        'run.json and the signed manifest.json to --out (checked as by `fedsynth verify`), plus\n' +
        'report.json/report.html (synthetic.csv evaluated against the full bundled sample, with each\n' +
        "hospital's risk figures against its control rows: singling out, linkability, inference, DCR,\n" +
        'membership inference) and demo.json. With --mechanism dpsgd the generator is trained by federated\n' +
        `DP-SGD on the hospitals' CSV rows, ${DEMO_DPSGD_ROUNDS} gradient rounds unless --rounds says otherwise.`,
    )
    .option('--out <dir>', 'output directory', 'fedsynth-demo');
  studyParameterOptions(demo)
    .option('--rows <n>', 'synthetic rows (default: as many as the sample)')
    .option('--keep', 'keep the temp dir with kits, logs and audit logs')
    .option('--quiet', 'no progress display')
    .action(async (f: { out: string; epsilon: string; delta: string; mechanism: string; aggregation: string; rows?: string; keep?: boolean; quiet?: boolean } & TrainingFlags) => {
      const mechanism = mechanismOption(f.mechanism);
      const training = trainingOption(mechanism, mechanism === 'dpsgd' ? { ...f, rounds: f.rounds ?? String(DEMO_DPSGD_ROUNDS) } : f);
      if (!['masking', 'he', 'plain'].includes(f.aggregation)) throw new FedsynthError(ErrorCode.InvalidArgument, `--aggregation must be masking, he or plain, got '${f.aggregation}'`);
      const summary = await runDemo({
        out: f.out,
        epsilon: numberOption(f.epsilon, '--epsilon', { exclusiveMin: 0 })!,
        delta: numberOption(f.delta, '--delta', { exclusiveMin: 0, max: 0.5 })!,
        mechanism,
        training,
        aggregation: f.aggregation as 'masking' | 'he' | 'plain',
        rows: numberOption(f.rows, '--rows', { integer: true, min: 1 }),
        keep: Boolean(f.keep),
        progress: new Progress(process.stderr, Boolean(f.quiet)),
      });
      process.stdout.write(`${JSON.stringify({ out: f.out, privacy: summary.privacy, rounds: summary.rounds, seconds: (summary.timings as { totalSeconds: number }).totalSeconds })}\n`);
    });
}
