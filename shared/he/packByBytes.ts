// packByBytes: greedy, order-preserving packing of byte blobs into groups whose total size stays
// within a budget (a blob larger than the budget gets a group of its own). Used by the HE chunks.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/**
 * Splits `items` in order into consecutive groups whose byte lengths sum to at most `maxBytes`;
 * a group holds at least one item even if that one is larger. Throws InvalidArgument on a budget
 * that is not a positive integer or on an empty list.
 */
export function packByBytes<T extends { byteLength: number }>(items: readonly T[], maxBytes: number): T[][] {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'maxChunkBytes must be a positive integer', { maxChunkBytes: maxBytes });
  }
  if (items.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'nothing to pack: at least one item is needed');
  const groups: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (cur.length > 0 && bytes + item.byteLength > maxBytes) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += item.byteLength;
  }
  groups.push(cur);
  return groups;
}
