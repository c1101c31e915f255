// distinctRows: a table with duplicate rows removed (first occurrence kept, order preserved), as the
// singling-out attack sees data: a predicate singles out a person, not one of several identical rows.
import { selectRows, type CodeTable } from '../CodeTable.js';

/** The distinct rows of `t`. */
export function distinctRows(t: CodeTable): CodeTable {
  const seen = new Set<string>();
  const keep: number[] = [];
  for (let r = 0; r < t.rows; r++) {
    let k = '';
    for (const col of t.data) k += col[r] + ',';
    if (!seen.has(k)) {
      seen.add(k);
      keep.push(r);
    }
  }
  return keep.length === t.rows ? t : selectRows(t, keep);
}
