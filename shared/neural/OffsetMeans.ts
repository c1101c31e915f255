// OffsetMeans: where the decoder's mean heads for continuous columns' within-bin offsets sit in its
// output: one mean per column (shared by all its bins) or one mean per public bin (mode-specific).
import type { TabularEncoding } from './TabularEncoding.js';

/**
 * 'column': one mean output per continuous column, whatever bin the row's code is (models written
 * before per-bin means). 'bin': one mean output per public bin of each continuous column; a row's
 * offset likelihood uses the mean of its own bin. With per-bin means every bin has its own output
 * bias, so the bin's within-bin shape is learnable from the bias alone (the gradient of that bias sums
 * over the rows in the bin), where a shared mean must route the bin through the latent code to shift
 * one bin and not the others. TVAE/CTGAN normalise a value within its mode and model it with one
 * scalar per column (Xu et al. 2019); with public bins as the modes this gives each mode its own head.
 */
export type OffsetMeans = 'column' | 'bin';

/** The decoder's mean outputs after the code logits: `count` in all, column j's from `start[j]` (width `widths[j]`). */
export interface OffsetMeanLayout {
  readonly kind: OffsetMeans;
  readonly count: number;
  /** Start of continuous column j's means among the means (-1 for a categorical column). */
  readonly start: readonly number[];
  /** Number of means of continuous column j (1 for 'column', its bins for 'bin'; 0 for a categorical column). */
  readonly widths: readonly number[];
}

export function offsetMeanLayout(encoding: TabularEncoding, kind: OffsetMeans = 'column'): OffsetMeanLayout {
  const start: number[] = [];
  const widths: number[] = [];
  let count = 0;
  for (const c of encoding.columns) {
    const w = c.kind !== 'continuous' ? 0 : kind === 'bin' ? c.edges.length - 1 : 1;
    start.push(w > 0 ? count : -1);
    widths.push(w);
    count += w;
  }
  return { kind, count, start, widths };
}

/** Index among the means of the mean used for code `code` of continuous column j (`code` a bin for 'bin'). */
export function offsetMeanIndex(layout: OffsetMeanLayout, j: number, code: number): number {
  return layout.kind === 'bin' ? layout.start[j] + code : layout.start[j];
}
