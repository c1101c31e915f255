// TabularEncoding: how a row of mixed-type columns becomes the generator's vector and back.
// Codes are one-hot blocks (softmax heads); binned numbers also keep their value as an offset within the public bin.
import type { Domain } from '../pgm/Domain.js';
import type { Column, Schema } from '../schema/ConsortiumSchema.js';
import { columnLayout } from '../schema/columnLayout.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { offsetOfPosition, positionOfOffset, type OffsetScale } from './OffsetScale.js';

/**
 * One column. `categorical`: a code in [0, size) modelled by a softmax head. `continuous`: a number
 * with public bin edges e_0 < ... < e_m (from the schema, never from the data): its code (bin,
 * then "other"/"missing" codes) has a softmax head and its position inside the bin is a value in
 * [-1, 1] with a Gaussian head. This is TVAE's mode-specific normalization (Xu et al. 2019) with the
 * schema's public bins as the modes, so no statistic of private data is needed.
 */
export type ColumnBlock =
  | { readonly kind: 'categorical'; readonly name: string; readonly size: number }
  | {
      readonly kind: 'continuous';
      readonly name: string;
      readonly size: number;
      readonly edges: readonly number[];
      /** Integer values: bin [e_b, e_{b+1}) holds the integers e_b..e_{b+1}-1 (the last bin also e_m). */
      readonly integer: boolean;
    };

/** Rows column-wise: codes of every column; values of continuous columns (NaN on other/missing codes). */
export interface TabularRows {
  readonly rows: number;
  readonly codes: readonly Int32Array[];
  /** `values[j]` for a continuous column j, `null` for a categorical one. */
  readonly values: readonly (Float64Array | null)[];
}

/** The row vector layout: all one-hot blocks in column order, then one offset per continuous column. */
export class TabularEncoding {
  readonly columns: readonly ColumnBlock[];
  /** Start of column j's one-hot block. */
  readonly codeStart: readonly number[];
  /** Width of all one-hot blocks together. */
  readonly codeWidth: number;
  /** Position of column j's offset among the offsets, or -1 for a categorical column. */
  readonly valueIndex: readonly number[];
  readonly valueCount: number;
  /** codeWidth + valueCount. */
  readonly width: number;
  /** How offsets encode a value's position inside its bin (OffsetScale). */
  readonly offsetScale: OffsetScale;

  constructor(columns: readonly ColumnBlock[], offsetScale: OffsetScale = 'linear') {
    if (columns.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'TabularEncoding: no columns');
    const codeStart: number[] = [];
    const valueIndex: number[] = [];
    let w = 0;
    let v = 0;
    for (const c of columns) {
      if (!Number.isInteger(c.size) || c.size < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `TabularEncoding: column ${c.name} has size ${c.size}`);
      if (c.kind === 'continuous' && (c.edges.length < 2 || c.size < c.edges.length - 1)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `TabularEncoding: column ${c.name} has ${c.edges.length} edges for ${c.size} codes`);
      }
      codeStart.push(w);
      w += c.size;
      valueIndex.push(c.kind === 'continuous' ? v++ : -1);
    }
    this.columns = Object.freeze([...columns]);
    this.codeStart = Object.freeze(codeStart);
    this.codeWidth = w;
    this.valueIndex = Object.freeze(valueIndex);
    this.valueCount = v;
    this.width = w + v;
    this.offsetScale = offsetScale;
  }

  /** Every column a categorical code (integer-code tables such as adult.csv). */
  static fromDomain(domain: Domain): TabularEncoding {
    return new TabularEncoding(domain.attrs.map((name, j) => ({ kind: 'categorical', name, size: domain.shape[j] })));
  }

  /**
   * Numeric and integer columns with public edges are continuous; categorical columns, integer
   * ranges (one code per integer) and dates (one code per period) are categorical.
   */
  static fromSchema(schema: Schema, offsetScale: OffsetScale = 'linear'): TabularEncoding {
    return new TabularEncoding(schema.columns.map((c) => blockOf(c)), offsetScale);
  }

  /** Number of integer values in bin b of an integer column (the last bin is closed). */
  static binWidth(block: ColumnBlock & { kind: 'continuous' }, b: number): number {
    const w = block.edges[b + 1] - block.edges[b];
    return block.integer ? w + (b === block.edges.length - 2 ? 1 : 0) : w;
  }

  /** The offset of `value` inside bin `code` on `scale` (0, the bin's middle, for a code that is not a bin or no value). */
  static offsetOf(block: ColumnBlock & { kind: 'continuous' }, code: number, value: number, scale: OffsetScale = 'linear'): number {
    if (code >= block.edges.length - 1 || !Number.isFinite(value)) return 0;
    const lo = block.edges[code];
    const w = TabularEncoding.binWidth(block, code);
    const u = block.integer ? (value - lo + 0.5) / w : (value - lo) / w;
    return offsetOfPosition(Math.min(1, Math.max(0, u)), scale);
  }

  /** The value at `offset` (on `scale`) in bin `code` (NaN for a code that is not a bin): the inverse of offsetOf. */
  static valueOf(block: ColumnBlock & { kind: 'continuous' }, code: number, offset: number, scale: OffsetScale = 'linear'): number {
    if (code >= block.edges.length - 1) return Number.NaN;
    const u = positionOfOffset(offset, scale);
    const lo = block.edges[code];
    const w = TabularEncoding.binWidth(block, code);
    return block.integer ? lo + Math.min(w - 1, Math.floor(u * w)) : lo + u * w;
  }

  /**
   * Rows [start, start+count) as a row-major matrix of `width` columns (one-hot codes, offsets)
   * and the mask of offsets that are defined (the code is a bin).
   */
  encode(rows: TabularRows, start: number, count: number): { x: Float32Array; valueMask: Float32Array } {
    const x = new Float32Array(count * this.width);
    const valueMask = new Float32Array(count * this.valueCount);
    this.columns.forEach((block, j) => {
      const codes = rows.codes[j];
      const vi = this.valueIndex[j];
      const values = rows.values[j];
      for (let r = 0; r < count; r++) {
        const code = codes[start + r];
        if (code < 0 || code >= block.size) throw new FedsynthError(ErrorCode.InvalidData, `TabularEncoding: code ${code} out of range in column ${block.name}`);
        x[r * this.width + this.codeStart[j] + code] = 1;
        if (block.kind === 'continuous' && code < block.edges.length - 1) {
          if (values === null) throw new FedsynthError(ErrorCode.InvalidData, `TabularEncoding: continuous column ${block.name} has no values`);
          x[r * this.width + this.codeWidth + vi] = TabularEncoding.offsetOf(block, code, values[start + r], this.offsetScale);
          valueMask[r * this.valueCount + vi] = 1;
        }
      }
    });
    return { x, valueMask };
  }
}

function blockOf(c: Column): ColumnBlock {
  const size = columnLayout(c).size;
  if ((c.type === 'numeric' || c.type === 'integer') && c.edges !== undefined) {
    return { kind: 'continuous', name: c.name, size, edges: c.edges, integer: c.type === 'integer' };
  }
  return { kind: 'categorical', name: c.name, size };
}
