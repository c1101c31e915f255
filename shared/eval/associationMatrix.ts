// associationMatrix: the column-by-column association matrix of a table (or of pair counts):
// Pearson on codes when both columns are ordinal, Cramér's V otherwise; and the real-synth difference.
import type { CodeTable } from './CodeTable.js';
import { cramersV } from './cramersV.js';
import { marginalCounts } from './marginalCounts.js';
import { pearsonFromCounts } from './pearsonFromCounts.js';

/** How a column's codes are read: unordered categories, or ordered bins (codes are values). */
export type ColumnKind = 'categorical' | 'ordinal';

/** A symmetric m x m matrix, row-major, diagonal 1. */
export interface AssociationMatrix {
  readonly columns: readonly string[];
  readonly values: Float64Array;
  /** `measure[i*m+j]`: 'pearson' or 'cramersV', per cell. */
  readonly measure: readonly ('pearson' | 'cramersV')[];
}

/** Builds the matrix from a function giving the pair counts of columns i < j (row-major, i slowest). */
export function associationFromPairs(
  columns: readonly string[],
  sizes: readonly number[],
  kinds: readonly ColumnKind[],
  pairCounts: (i: number, j: number) => ArrayLike<number>,
): AssociationMatrix {
  const m = columns.length;
  const values = new Float64Array(m * m);
  const measure: ('pearson' | 'cramersV')[] = new Array(m * m).fill('cramersV');
  for (let i = 0; i < m; i++) {
    values[i * m + i] = 1;
    for (let j = i + 1; j < m; j++) {
      const counts = pairCounts(i, j);
      const pearson = kinds[i] === 'ordinal' && kinds[j] === 'ordinal';
      const v = pearson ? pearsonFromCounts(counts, sizes[i], sizes[j]) : cramersV(counts, sizes[i], sizes[j]);
      values[i * m + j] = v;
      values[j * m + i] = v;
      measure[i * m + j] = measure[j * m + i] = pearson ? 'pearson' : 'cramersV';
    }
  }
  return { columns, values, measure };
}

/** The association matrix of a table (all columns categorical unless `kinds` says otherwise). */
export function associationMatrix(t: CodeTable, kinds?: readonly ColumnKind[]): AssociationMatrix {
  const k = kinds ?? t.columns.map((): ColumnKind => 'categorical');
  return associationFromPairs(t.columns, t.sizes, k, (i, j) => marginalCounts(t, [i, j]));
}

/** Element-wise `synth - real`, plus the mean and max absolute difference off the diagonal. */
export function associationDifference(real: AssociationMatrix, synth: AssociationMatrix): { values: Float64Array; meanAbs: number; maxAbs: number } {
  const m = real.columns.length;
  const values = new Float64Array(m * m);
  let sum = 0;
  let max = 0;
  let count = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const d = synth.values[i * m + j] - real.values[i * m + j];
      values[i * m + j] = d;
      if (i < j) {
        sum += Math.abs(d);
        max = Math.max(max, Math.abs(d));
        count++;
      }
    }
  }
  return { values, meanAbs: count === 0 ? 0 : sum / count, maxAbs: max };
}
