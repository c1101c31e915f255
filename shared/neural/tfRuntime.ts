// tfRuntime: the one place the neural generator starts tfjs (WebAssembly backend, one thread).
// One thread keeps every reduction in a fixed order, so seeded runs give identical bits.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { registerKernelGradients } from './kernelGradients.js';

let ready: Promise<void> | undefined;

/** Selects the wasm backend with a single thread and registers the kernel gradients (once). */
export function readyTf(): Promise<void> {
  ready ??= (async () => {
    setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new FedsynthError(ErrorCode.Internal, 'tfRuntime: the tfjs wasm backend failed to initialise');
    await tf.ready();
    registerKernelGradients();
  })();
  return ready;
}
