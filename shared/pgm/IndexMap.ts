// IndexMap: for every cell of a table over attrs A, the index of its cell in the table over B ⊆ A.
// Built once per (domain, A, B) and cached: marginalising and expanding become one typed-array pass.
import type { Domain } from './Domain.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** Row-major strides of `shape` (last axis has stride 1). */
export function strides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/**
 * Fill `out` (length prod(shape)) with base + sum_i digit_i * st[i] for every cell of `shape`
 * in row-major order. `st[i]` may be 0 (axis not in the target).
 */
export function fillOffsets(shape: readonly number[], st: readonly number[], out: Int32Array): void {
  const d = shape.length;
  if (d === 0) {
    out[0] = 0;
    return;
  }
  const n = out.length;
  const last = d - 1;
  const L = shape[last];
  const ls = st[last];
  const ctr = new Int32Array(d);
  let base = 0;
  let k = 0;
  while (k < n) {
    for (let i = 0, v = base; i < L; i++, v += ls) out[k++] = v;
    let a = last - 1;
    while (a >= 0) {
      ctr[a]++;
      base += st[a];
      if (ctr[a] < shape[a]) break;
      base -= st[a] * shape[a];
      ctr[a] = 0;
      a--;
    }
    if (a < 0) break;
  }
}

const MAX_CACHE_BYTES = 512 * 1024 * 1024;
interface Cache {
  maps: Map<string, Int32Array>;
  bytes: number;
}
const caches = new WeakMap<Domain, Cache>();

/**
 * `map[k]` = index in the table over `to` of cell `k` of the table over `from`. Both lists are
 * canonical and `to` ⊆ `from`. Cached per domain (the cache is dropped past 512 MiB).
 */
export function indexMap(domain: Domain, from: readonly string[], to: readonly string[]): Int32Array {
  let cache = caches.get(domain);
  if (cache === undefined) {
    cache = { maps: new Map(), bytes: 0 };
    caches.set(domain, cache);
  }
  const key = `${from.join('\u0001')}\u0002${to.join('\u0001')}`;
  const hit = cache.maps.get(key);
  if (hit !== undefined) return hit;
  const map = buildIndexMap(domain, from, to);
  if (cache.bytes + map.byteLength > MAX_CACHE_BYTES) {
    cache.maps.clear();
    cache.bytes = 0;
  }
  cache.maps.set(key, map);
  cache.bytes += map.byteLength;
  return map;
}

/** Uncached `indexMap`. */
export function buildIndexMap(domain: Domain, from: readonly string[], to: readonly string[]): Int32Array {
  const shape = domain.shapeOf(from);
  const toShape = domain.shapeOf(to);
  const toStrides = strides(toShape);
  const st = new Array<number>(from.length).fill(0);
  to.forEach((a, j) => {
    const i = from.indexOf(a);
    if (i < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `indexMap: ${a} is not in the source attributes`, { attr: a });
    st[i] = toStrides[j];
  });
  let n = 1;
  for (const s of shape) n *= s;
  const out = new Int32Array(n);
  fillOffsets(shape, st, out);
  return out;
}
