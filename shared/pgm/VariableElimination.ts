// VariableElimination: sum-product elimination over linear-space factors, with a fused
// product-and-marginalise kernel that never materialises the product table.
import { Factor } from './Factor.js';
import type { Domain } from './Domain.js';
import { strides } from './IndexMap.js';

/**
 * sum over U \ keep of prod_f f, where U is the union of the factors' attributes: one pass over
 * the cells of U with per-factor strides (odometer), innermost loop along the last axis.
 */
export function productMarginal(domain: Domain, factors: readonly Factor[], keep: readonly string[]): Factor {
  const u = domain.canonical(new Set(factors.flatMap((f) => [...f.attrs])));
  const target = domain.canonical(keep);
  const shape = domain.shapeOf(u);
  const d = u.length;
  const nf = factors.length;
  const fst: Int32Array[] = factors.map((f) => {
    const fs = strides(domain.shapeOf(f.attrs));
    const st = new Int32Array(Math.max(d, 1));
    f.attrs.forEach((a, j) => {
      st[u.indexOf(a)] = fs[j];
    });
    return st;
  });
  const ts = strides(domain.shapeOf(target));
  const ost = new Int32Array(Math.max(d, 1));
  target.forEach((a, j) => {
    ost[u.indexOf(a)] = ts[j];
  });
  const out = new Float64Array(domain.size(target));
  const vals = factors.map((f) => f.values);
  if (d === 0) {
    let p = 1;
    for (const v of vals) p *= v[0];
    out[0] = p;
    return new Factor(domain, target, out);
  }
  const last = d - 1;
  const L = shape[last];
  const idx = new Int32Array(nf);
  const ls = new Int32Array(nf);
  for (let f = 0; f < nf; f++) ls[f] = fst[f][last];
  const ols = ost[last];
  const ctr = new Int32Array(d);
  let oidx = 0;
  const v0 = vals[0];
  const v1 = nf > 1 ? vals[1] : v0;
  const v2 = nf > 2 ? vals[2] : v0;
  for (;;) {
    if (nf === 1) {
      const i0 = idx[0];
      const s0 = ls[0];
      for (let i = 0; i < L; i++) out[oidx + i * ols] += v0[i0 + i * s0];
    } else if (nf === 2) {
      const i0 = idx[0];
      const s0 = ls[0];
      const i1 = idx[1];
      const s1 = ls[1];
      for (let i = 0; i < L; i++) out[oidx + i * ols] += v0[i0 + i * s0] * v1[i1 + i * s1];
    } else if (nf === 3) {
      const i0 = idx[0];
      const s0 = ls[0];
      const i1 = idx[1];
      const s1 = ls[1];
      const i2 = idx[2];
      const s2 = ls[2];
      for (let i = 0; i < L; i++) out[oidx + i * ols] += v0[i0 + i * s0] * v1[i1 + i * s1] * v2[i2 + i * s2];
    } else {
      for (let i = 0; i < L; i++) {
        let p = 1;
        for (let f = 0; f < nf; f++) p *= vals[f][idx[f] + i * ls[f]];
        out[oidx + i * ols] += p;
      }
    }
    let a = last - 1;
    while (a >= 0) {
      ctr[a]++;
      oidx += ost[a];
      for (let f = 0; f < nf; f++) idx[f] += fst[f][a];
      if (ctr[a] < shape[a]) break;
      oidx -= ost[a] * shape[a];
      for (let f = 0; f < nf; f++) idx[f] -= fst[f][a] * shape[a];
      ctr[a] = 0;
      a--;
    }
    if (a < 0) break;
  }
  return new Factor(domain, target, out);
}

/**
 * Marginal over `keep` of the product of `factors` (linear space), eliminating the other
 * attributes one at a time in greedy order: next is the attribute whose elimination touches the
 * fewest cells (Koller & Friedman 2009, §9.4).
 */
export function variableElimination(domain: Domain, factors: readonly Factor[], keep: readonly string[]): Factor {
  const keepSet = new Set(keep);
  let pool = [...factors];
  for (;;) {
    const vars = new Set<string>();
    for (const f of pool) for (const a of f.attrs) if (!keepSet.has(a)) vars.add(a);
    if (vars.size === 0) break;
    let best = '';
    let bestCost = Infinity;
    for (const v of vars) {
      const u = new Set<string>();
      for (const f of pool) if (f.attrs.includes(v)) for (const a of f.attrs) u.add(a);
      const cost = domain.size([...u]);
      if (cost < bestCost) {
        bestCost = cost;
        best = v;
      }
    }
    const touching = pool.filter((f) => f.attrs.includes(best));
    const rest = pool.filter((f) => !f.attrs.includes(best));
    const u = new Set<string>();
    for (const f of touching) for (const a of f.attrs) if (a !== best) u.add(a);
    rest.push(productMarginal(domain, touching, [...u]));
    pool = rest;
  }
  return productMarginal(domain, pool, keep);
}
