// runMechanism: runs the study's synthesis mechanism (MST or AIM from shared/synth) over a
// FederatedOracle and samples the synthetic rows with the study's sampling randomness.
import type { FederatedOracle } from '../../shared/synth/FederatedOracle.js';
import type { RandomSource } from '../../shared/dp/random/RandomSource.js';
import { mst } from '../../shared/synth/Mst.js';
import { aim } from '../../shared/synth/Aim.js';
import type { MechanismName } from '../../shared/study/StudySpec.js';

export type { MechanismName };

export interface MechanismOutput {
  columns: Int32Array[];
  /** The fitted model (GraphicalModel.toJSON()), serialisable across threads. */
  modelJson: unknown;
  /** Mechanism-specific public metadata (selected cliques, tree, compression). */
  details: Record<string, unknown>;
}

export async function runMechanism(
  name: MechanismName,
  oracle: FederatedOracle,
  opts: { rho: number; rows: number; sampleRng: RandomSource; seed?: string; onFit?: () => void },
): Promise<MechanismOutput> {
  if (name === 'mst') {
    const res = await mst(oracle, { rho: opts.rho });
    opts.onFit?.();
    return {
      columns: res.sample(opts.rows, opts.sampleRng),
      modelJson: res.model.toJSON(),
      // compression: MST's public recoding of rare values; `fedsynth sample` needs it to decode the model's codes.
      details: { tree: res.tree, compression: res.compression.recode, measurements: res.measurements.map((m) => ({ attrs: m.attrs, stddev: m.stddev, cells: m.values.length })) },
    };
  }
  const res = await aim(oracle, { rho: opts.rho, seed: opts.seed });
  opts.onFit?.();
  return {
    columns: res.sample(opts.rows, opts.sampleRng),
    modelJson: res.model.toJSON(),
    details: { selected: res.selected, rhoUsed: res.rhoUsed, measurements: res.measurements.map((m) => ({ attrs: m.attrs, stddev: m.stddev, cells: m.values.length })) },
  };
}
