// warmStartOutputBias: sets the decoder's output logits to the log of released (noisy) 1-way
// marginals, so DP-SGD's rounds go to dependencies rather than to learning each column's frequencies.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { vaeLayout, type VaeSpec } from './TabularVae.js';

/**
 * Returns a copy of `params` whose decoder output bias for column j is log(p_j), p_j the noisy counts
 * `counts[j]` clamped at 0, normalized, floored at 1e-3 / size (a column with `null` keeps its bias).
 * Post-processing of a DP release (e.g. the marginal path's noisy 1-way marginals): no further cost.
 */
export function warmStartOutputBias(spec: VaeSpec, params: Float32Array, counts: readonly (ArrayLike<number> | null)[]): Float32Array {
  const enc = spec.encoding;
  if (counts.length !== enc.columns.length) throw new FedsynthError(ErrorCode.InvalidArgument, `warmStartOutputBias: ${counts.length} marginals for ${enc.columns.length} columns`);
  const layout = vaeLayout(spec);
  const out = layout.layers[layout.layers.length - 1];
  const biasStart = out.offset + out.inputs * out.outputs;
  const p = Float32Array.from(params);
  enc.columns.forEach((block, j) => {
    const c = counts[j];
    if (c === null) return;
    if (c.length !== block.size) throw new FedsynthError(ErrorCode.InvalidArgument, `warmStartOutputBias: column ${block.name} has ${block.size} codes, marginal ${c.length}`);
    let total = 0;
    for (let k = 0; k < block.size; k++) total += Math.max(0, c[k]);
    const floor = 1e-3 / block.size;
    for (let k = 0; k < block.size; k++) {
      const pk = total > 0 ? Math.max(0, c[k]) / total : 1 / block.size;
      p[biasStart + enc.codeStart[j] + k] = Math.log(Math.max(floor, pk));
    }
  });
  return p;
}
