// kernelGradients: the gradient of each tfjs kernel the neural generator uses, registered once.
// tfjs-core's Node bundle ships no gradient registry (the full tfjs package adds it); tf.grads needs these.
import * as tf from '@tensorflow/tfjs-core';

type GradMap = Record<string, () => tf.Tensor>;

/** Sums a broadcast gradient back to the shape of the input it came from. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

function single(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(dy)) throw new TypeError('kernelGradients: a single-output kernel received several gradients');
  return dy;
}

/**
 * Each entry: kernel name, inputs saved for the backward pass, whether the output is saved, and
 * the vector-Jacobian product. Formulas are the textbook derivatives (d/dx tanh = 1 - tanh^2, ...).
 */
const configs: tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]): GradMap => ({ a: () => unbroadcast(single(dy), a.shape), b: () => unbroadcast(single(dy), b.shape) }),
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]): GradMap => ({ a: () => unbroadcast(single(dy), a.shape), b: () => unbroadcast(tf.neg(single(dy)), b.shape) }),
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]): GradMap => ({
      a: () => unbroadcast(tf.mul(single(dy), b), a.shape),
      b: () => unbroadcast(tf.mul(single(dy), a), b.shape),
    }),
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b], attrs): GradMap => {
      const g = single(dy) as tf.Tensor2D;
      const A = a as tf.Tensor2D;
      const B = b as tf.Tensor2D;
      // Rank 2, or rank 3 with equal batch sizes: no broadcast dimension to sum out.
      if (A.rank !== B.rank || A.rank > 3 || (A.rank === 3 && A.shape[0] !== B.shape[0])) {
        throw new TypeError('kernelGradients: BatchMatMul gradient needs equal ranks <= 3 and equal batch sizes');
      }
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, B, false, true), b: () => tf.matMul(A, g, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, B), b: () => tf.matMul(g, A, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(B, g, false, true), b: () => tf.matMul(A, g) };
      return { a: () => tf.matMul(B, g, true, true), b: () => tf.matMul(g, A, true, true) };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]): GradMap => ({ x: () => tf.reshape(single(dy), x.shape) }),
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]): GradMap => ({ x: () => tf.mul(single(dy), tf.cast(tf.greater(x, 0), 'float32')) }),
  },
  {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, [y]): GradMap => ({ x: () => tf.mul(single(dy), tf.sub(1, tf.square(y))) }),
  },
  {
    kernelName: tf.Exp,
    outputsToSave: [true],
    gradFunc: (dy, [y]): GradMap => ({ x: () => tf.mul(single(dy), y) }),
  },
  {
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]): GradMap => ({ x: () => tf.mul(single(dy), tf.mul(x, 2)) }),
  },
  {
    kernelName: tf.Neg,
    gradFunc: (dy): GradMap => ({ x: () => tf.neg(single(dy)) }),
  },
  {
    kernelName: tf.Cast,
    gradFunc: (dy): GradMap => ({ x: () => tf.clone(single(dy)) }),
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs): GradMap => {
      const { axis } = attrs as unknown as tf.SumAttrs;
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.mul(tf.reshape(single(dy), kept), tf.onesLike(x)) };
    },
  },
  {
    kernelName: tf.SplitV,
    gradFunc: (dy, _saved, attrs): GradMap => {
      const { axis } = attrs as unknown as tf.SplitVAttrs;
      if (!Array.isArray(dy)) throw new TypeError('kernelGradients: SplitV expects one gradient per output');
      return { x: () => tf.concat(dy, axis) };
    },
  },
];

let registered = false;

/** Registers the gradients above (idempotent; a kernel that already has one keeps it). */
export function registerKernelGradients(): void {
  if (registered) return;
  for (const c of configs) if (tf.getGradient(c.kernelName) === undefined) tf.registerGradient(c);
  registered = true;
}
