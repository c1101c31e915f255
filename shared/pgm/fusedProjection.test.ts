// Tests for fusedProjection: the fused passes give bit-identical results to one pass per map
// (same order of additions per cell), for every number of maps up to 7 (all remainders).
import { describe, expect, it } from 'vitest';
import { Domain } from './Domain.js';
import { sumInto } from './Factor.js';
import { indexMap } from './IndexMap.js';
import { gatherSum, sumIntoEach } from './fusedProjection.js';

const d = Domain.fromJson({ a: 3, b: 4, c: 5, d: 2, e: 3 });
const clique = ['a', 'b', 'c', 'd', 'e'];
const targets = [['a'], ['a', 'b'], ['b', 'c'], ['c', 'e'], ['a', 'd', 'e'], ['e'], ['b', 'd']];
const n = d.size(clique);
// Values of very different magnitudes, so that any change in the order of additions changes bits.
const src = Float64Array.from({ length: n }, (_, k) => Math.sin(k * 12.9898) * 10 ** ((k % 7) - 3));

describe('fusedProjection', () => {
  for (let g = 1; g <= targets.length; g++) {
    const maps = targets.slice(0, g).map((t) => indexMap(d, clique, t));
    it(`sumIntoEach over ${g} map(s) equals sumInto once per map, bit for bit`, () => {
      const outs = targets.slice(0, g).map((t) => new Float64Array(d.size(t)).fill(7));
      sumIntoEach(src, maps, outs);
      maps.forEach((m, q) => {
        const ref = new Float64Array(outs[q].length);
        sumInto(src, m, ref);
        expect(Array.from(outs[q])).toEqual(Array.from(ref));
      });
    });
    it(`gatherSum over ${g} source(s) equals adding each source in turn, bit for bit`, () => {
      const srcs = targets.slice(0, g).map((t, q) => Float64Array.from({ length: d.size(t) }, (_, k) => Math.cos(k + q) * 10 ** (((k + q) % 9) - 4)));
      const out = new Float64Array(n).fill(3);
      gatherSum(srcs, maps, out);
      const ref = new Float64Array(n);
      srcs.forEach((s, q) => {
        for (let k = 0; k < n; k++) ref[k] += s[maps[q][k]];
      });
      expect(Array.from(out)).toEqual(Array.from(ref));
    });
  }
});
