// splitParties: divides one table into N party tables for simulation (IID, by column, or
// label-skewed Dirichlet as in the federated-learning literature). Simulation only.
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { shuffleInPlace, symmetricDirichlet } from './simulationSamplers.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import type { EncodedTable } from './EncodedTable.js';

/**
 * How rows are assigned to parties:
 * - `'random'`: a uniform random permutation cut into N near-equal parts (IID).
 * - `{ column }`: all rows sharing a value of `column` go to one party; values, by decreasing
 *   frequency, are dealt to the currently smallest party (a natural "one site per region" split).
 * - `{ dirichlet: alpha, column? }`: label skew (Hsu, Qi, Brown 2019; Yurochkin et al. 2019): for
 *   each value of `column` (default: the LAST column, the label) the party proportions are drawn
 *   from Dirichlet(alpha, ..., alpha) and that value's shuffled rows are cut accordingly. Small
 *   alpha = strong heterogeneity.
 * Guarantee (all modes): no party is empty. After the assignment, each empty party receives one
 * row taken at random from the currently largest party. This needs rowCount >= N (else an error).
 */
export type PartySplit = 'random' | { readonly column: string } | { readonly dirichlet: number; readonly column?: string };

/** Parses the CLI form `random`, `column:NAME`, `dirichlet:ALPHA` (skew on the last column) or `dirichlet:ALPHA:COLUMN`. */
export function parsePartySplit(text: string): PartySplit {
  if (text === 'random') return 'random';
  if (text.startsWith('column:') && text.length > 7) return { column: text.slice(7) };
  if (text.startsWith('dirichlet:')) {
    const rest = text.slice(10);
    const colon = rest.indexOf(':');
    const alpha = Number(colon < 0 ? rest : rest.slice(0, colon));
    const column = colon < 0 ? undefined : rest.slice(colon + 1);
    if (Number.isFinite(alpha) && alpha > 0 && column !== '') return column === undefined ? { dirichlet: alpha } : { dirichlet: alpha, column };
  }
  throw new FedsynthError(ErrorCode.InvalidArgument, `split must be random, column:NAME, dirichlet:ALPHA or dirichlet:ALPHA:COLUMN (ALPHA > 0), got "${text}"`);
}

/** Splits `table` into `n` non-empty party tables (see PartySplit). Deterministic given `rng`. */
export function splitParties(table: EncodedTable, n: number, split: PartySplit, rng: RandomSource): EncodedTable[] {
  return splitPartyRows(table, n, split, rng).map((g) => table.select(g));
}

/** The row indices (ascending) of each of the `n` party tables splitParties makes from the same draws. */
export function splitPartyRows(table: EncodedTable, n: number, split: PartySplit, rng: RandomSource): number[][] {
  if (!Number.isInteger(n) || n < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `splitParties: parties must be a positive integer, got ${n}`);
  if (table.rowCount < n) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `splitParties: ${table.rowCount} rows cannot fill ${n} non-empty parties`);
  }
  const groups: number[][] = Array.from({ length: n }, () => []);
  if (split === 'random') {
    const perm = shuffled(range(table.rowCount), rng);
    perm.forEach((row, i) => groups[Math.floor((i * n) / perm.length)].push(row));
  } else {
    const colName = 'column' in split && split.column !== undefined ? split.column : table.domain.attrs[table.domain.attrs.length - 1];
    const j = table.domain.indexOf(colName);
    if (j < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `splitParties: unknown column ${colName}`);
    const col = table.columns[j];
    const byValue: number[][] = Array.from({ length: table.domain.shape[j] }, () => []);
    for (let i = 0; i < table.rowCount; i++) byValue[col[i]].push(i);
    if ('dirichlet' in split) {
      const alpha = split.dirichlet;
      if (!(alpha > 0) || !Number.isFinite(alpha)) throw new FedsynthError(ErrorCode.InvalidArgument, `splitParties: alpha must be > 0, got ${alpha}`);
      for (const rows of byValue) {
        if (rows.length === 0) continue;
        const p = symmetricDirichlet(alpha, n, rng);
        const perm = shuffled(rows, rng);
        let start = 0;
        let cum = 0;
        for (let k = 0; k < n; k++) {
          cum += p[k];
          const end = k === n - 1 ? perm.length : Math.min(perm.length, Math.round(cum * perm.length));
          for (let i = start; i < end; i++) groups[k].push(perm[i]);
          start = Math.max(start, end);
        }
      }
    } else {
      const order = byValue.map((rows, v) => ({ rows, v })).filter((x) => x.rows.length > 0);
      order.sort((a, b) => b.rows.length - a.rows.length || a.v - b.v);
      for (const { rows } of order) {
        let smallest = 0;
        for (let k = 1; k < n; k++) if (groups[k].length < groups[smallest].length) smallest = k;
        groups[smallest].push(...rows);
      }
    }
  }
  fillEmpty(groups, rng);
  return groups.map((g) => g.sort((a, b) => a - b));
}

function fillEmpty(groups: number[][], rng: RandomSource): void {
  for (const g of groups) {
    if (g.length > 0) continue;
    let largest = 0;
    for (let k = 1; k < groups.length; k++) if (groups[k].length > groups[largest].length) largest = k;
    const src = groups[largest];
    const pick = uniformInt(rng, src.length);
    g.push(src[pick]);
    src[pick] = src[src.length - 1];
    src.pop();
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Fisher-Yates shuffle of a copy. */
function shuffled(xs: readonly number[], rng: RandomSource): number[] {
  return shuffleInPlace([...xs], rng);
}
