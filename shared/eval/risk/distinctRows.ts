// distinctRows: a table with duplicate rows removed (first occurrence kept, order preserved), as the
// singling-out attack sees data: a predicate singles out a person, not one of several identical rows.
import { selectRows, type CodeTable } from '../CodeTable.js';
import { IdHashTable } from '../IdHashTable.js';

/** FNV-1a style 32-bit hash of row `r`'s codes. */
function rowHash(t: CodeTable, r: number): number {
  let h = 0x811c9dc5;
  for (const col of t.data) h = Math.imul(h ^ (col[r] + 0x9e37), 0x01000193);
  return h;
}

/** The distinct rows of `t` (rows compared code by code under a hash table of row ids: 8 bytes a slot, no string per row). */
export function distinctRows(t: CodeTable): CodeTable {
  const seen = new IdHashTable(t.rows);
  const keep: number[] = [];
  let r = 0;
  const same = (first: number): boolean => {
    for (const col of t.data) if (col[first] !== col[r]) return false;
    return true;
  };
  for (; r < t.rows; r++) {
    const h = rowHash(t, r);
    if (seen.find(h, same) === -1) {
      seen.add(h, r);
      keep.push(r);
    }
  }
  return keep.length === t.rows ? t : selectRows(t, keep);
}
