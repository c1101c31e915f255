// countMarginals: exact marginal counts of an EncodedTable, one pass over the rows per set.
// Cell order as in Measurement: attrs in domain order, row-major, first attribute slowest.
import type { Domain } from '../pgm/Domain.js';
import type { EncodedTable } from './EncodedTable.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/**
 * Counts every cell of the marginal over each attribute set. Each set must be in canonical
 * (domain column) order without repeats; the empty set yields `[rowCount]`. A dense key
 * (mixed-radix index) per row is accumulated column by column, then counted.
 */
export function countMarginals(table: EncodedTable, domain: Domain, attrSets: readonly (readonly string[])[]): Float64Array[] {
  if (!table.domain.equals(domain)) throw new FedsynthError(ErrorCode.InvalidDomain, 'countMarginals: table domain differs');
  const n = table.rowCount;
  const key = new Float64Array(n);
  return attrSets.map((attrs) => {
    if (!domain.isCanonical(attrs)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, `countMarginals: attributes [${attrs.join(', ')}] not in domain order`);
    }
    const cells = domain.size(attrs);
    const out = new Float64Array(cells);
    if (attrs.length === 0) {
      out[0] = n;
      return out;
    }
    if (attrs.length === 1) {
      const col = table.columns[domain.indexOf(attrs[0])];
      for (let i = 0; i < n; i++) out[col[i]]++;
      return out;
    }
    key.fill(0);
    for (const a of attrs) {
      const col = table.columns[domain.indexOf(a)];
      const s = domain.sizeOf(a);
      for (let i = 0; i < n; i++) key[i] = key[i] * s + col[i];
    }
    for (let i = 0; i < n; i++) out[key[i]]++;
    return out;
  });
}
