// attrSubsets: every set of k column indices out of m, in lexicographic order.
// The order matches the reference scorer (../shared/tools/tvscore.mjs), so averages agree bit for bit.

/** All k-subsets of 0..m-1, each ascending, in lexicographic order. */
export function attrSubsets(m: number, k: number): number[][] {
  const out: number[][] = [];
  if (k < 1 || k > m) return out;
  const cur = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    out.push([...cur]);
    let i = k - 1;
    while (i >= 0 && cur[i] === m - k + i) i--;
    if (i < 0) return out;
    cur[i]++;
    for (let j = i + 1; j < k; j++) cur[j] = cur[j - 1] + 1;
  }
}
