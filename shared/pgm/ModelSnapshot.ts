// ModelSnapshot: a fitted model's junction tree and calibrated clique marginals, as sent to the
// parties, which rebuild it (GraphicalModel.fromSnapshot) and answer marginal queries bit for bit.

/**
 * What `GraphicalModel.project` reads: the tree (cliques in order, canonical attribute lists, and
 * its undirected edges, from which root, parents and separators follow) and the calibrated clique
 * marginals (counts summing to `total`, row-major in canonical order). Sending the marginals, not
 * the log-potentials, makes a rebuilt model answer with the very same floating-point numbers:
 * nothing is recomputed before `project`. Public: the model is post-processing of releases.
 */
export interface ModelSnapshot {
  readonly cliques: readonly (readonly string[])[];
  readonly edges: readonly (readonly [number, number])[];
  readonly total: number;
  readonly marginals: readonly Float64Array[];
}

/** Number of cells (Float64 values) of a snapshot's marginals. */
export function snapshotCells(s: ModelSnapshot): number {
  let n = 0;
  for (const m of s.marginals) n += m.length;
  return n;
}
