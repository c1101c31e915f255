// serverAdam: the coordinator's optimizer step on the noisy mean gradient (Adam, Kingma & Ba 2015).
// Pure: returns new parameters and state, so a round can be stored and replayed after a crash.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

export interface AdamOptions {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export const DEFAULT_ADAM: AdamOptions = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Step count and the first and second moment estimates. */
export interface AdamState {
  readonly step: number;
  readonly m: Float64Array;
  readonly v: Float64Array;
}

export function adamState(size: number): AdamState {
  return { step: 0, m: new Float64Array(size), v: new Float64Array(size) };
}

/**
 * One Adam step: m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, theta <- theta - lr m_hat / (sqrt(v_hat) + eps)
 * with the bias corrections m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t). `gradient` is the
 * noisy mean gradient (post-processing of a DP release: any optimizer is allowed here).
 */
export function serverStep(
  params: Float32Array,
  state: AdamState,
  gradient: ArrayLike<number>,
  options: AdamOptions = DEFAULT_ADAM,
): { params: Float32Array; state: AdamState } {
  const n = params.length;
  if (state.m.length !== n || state.v.length !== n || gradient.length !== n) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `serverStep: ${n} parameters, state ${state.m.length}/${state.v.length}, gradient ${gradient.length}`);
  }
  const { learningRate: lr, beta1, beta2, epsilon } = options;
  const step = state.step + 1;
  const c1 = 1 - beta1 ** step;
  const c2 = 1 - beta2 ** step;
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const g = gradient[k];
    if (!Number.isFinite(g)) throw new FedsynthError(ErrorCode.InvalidArgument, `serverStep: gradient[${k}] is not finite`);
    m[k] = beta1 * state.m[k] + (1 - beta1) * g;
    v[k] = beta2 * state.v[k] + (1 - beta2) * g * g;
    out[k] = params[k] - (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + epsilon);
  }
  return { params: out, state: { step, m, v } };
}
