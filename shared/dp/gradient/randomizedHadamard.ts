// randomizedHadamard: the flat random rotation x -> H D x of KLS 2021 (Sec. 4, "random rotation"):
// D = random signs from a PUBLIC seed, H = normalized Walsh-Hadamard on the padded power-of-two length.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { seededRandomSource } from '../random/RandomSource.js';

/** Largest padded length supported (2^24 coordinates, 128 MiB as Float64Array). */
export const MAX_PADDED_DIMENSION = 2 ** 24;

/** The smallest power of two >= d (d >= 1). */
export function paddedDimension(d: number): number {
  if (!Number.isInteger(d) || d < 1 || d > MAX_PADDED_DIMENSION) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `dimension must be an integer in [1, 2^24], got ${d}`, { dimension: d });
  }
  let n = 1;
  while (n < d) n *= 2;
  return n;
}

/**
 * The diagonal D: n signs +-1 from the public seed (AES-256-CTR keystream of seededRandomSource,
 * stream 'gradient/rotation', one bit per sign). Not secret: privacy never depends on the rotation
 * (it is orthogonal, so every norm bound below holds for any signs); the signs only make the
 * rotated vector flat with high probability (KLS 2021, Lemma 29 / Hoeffding), which keeps the
 * aggregate inside the ring. Everyone holding the seed derives the same D.
 */
export function rotationSigns(seed: string, n: number): Int8Array {
  const rng = seededRandomSource(seed, 'gradient/rotation');
  const out = new Int8Array(n);
  for (let i = 0; i < n; i += 32) {
    const w = rng.nextUint32();
    for (let b = 0; b < 32 && i + b < n; b++) out[i + b] = (w >>> b) & 1 ? -1 : 1;
  }
  return out;
}

/**
 * In-place fast Walsh-Hadamard transform with the 1/sqrt(n) normalization, so the matrix H
 * (Sylvester order, H_ij = (-1)^popcount(i & j) / sqrt(n)) is symmetric and orthogonal: H H = I.
 */
export function walshHadamardInPlace(x: Float64Array): void {
  const n = x.length;
  if (n === 0 || (n & (n - 1)) !== 0) throw new FedsynthError(ErrorCode.InvalidArgument, `Hadamard length must be a power of two, got ${n}`);
  for (let h = 1; h < n; h *= 2) {
    for (let i = 0; i < n; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const a = x[j];
        const b = x[j + h];
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
  const s = 1 / Math.sqrt(n);
  for (let i = 0; i < n; i++) x[i] *= s;
}

/** H D [x, 0...0]: x zero-padded to paddedDimension(x.length), signs flipped by D, then H. */
export function rotate(x: Float64Array, seed: string): Float64Array {
  const n = paddedDimension(x.length);
  const signs = rotationSigns(seed, n);
  const y = new Float64Array(n);
  for (let i = 0; i < x.length; i++) y[i] = signs[i] * x[i];
  walshHadamardInPlace(y);
  return y;
}

/** The inverse (H D)^T = D H, truncated to the first `dimension` coordinates (dropping the padding). */
export function unrotate(y: Float64Array, seed: string, dimension: number): Float64Array {
  const n = paddedDimension(dimension);
  if (y.length !== n) throw new FedsynthError(ErrorCode.InvalidArgument, `rotated vector has length ${y.length}, expected ${n}`);
  const signs = rotationSigns(seed, n);
  const z = Float64Array.from(y);
  walshHadamardInPlace(z);
  const out = new Float64Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = signs[i] * z[i];
  return out;
}
