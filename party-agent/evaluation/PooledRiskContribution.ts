// PooledRiskContribution: the party's exact answer to a post-delivery `riskCounts` round — the risk
// attacks of the DELIVERED synthetic data on all of its training and control rows (pooledRiskCounts).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { makeCodeTable, type CodeColumn } from '../../shared/eval/CodeTable.js';
import { pooledRiskCounts, pooledRiskSensitivity } from '../../shared/eval/risk/pooledRiskCounts.js';
import type { SinglingOutFamily } from '../../shared/eval/risk/pooledSinglingOut.js';
import { pooledRiskFigures } from '../../shared/eval/risk/pooledRiskFigures.js';
import type { LocalQuery } from '../../shared/synth/LocalQuery.js';
import { attackedSyntheticRows } from '../../shared/eval/evaluateSynthetic.js';
import { fileSha256 } from '../../platform/delivery/fileSha256.js';
import { syntheticCsvChunks } from '../../platform/delivery/syntheticCsvChunks.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { LOCAL_ONLY_NOTE, type LocalRowSource } from './LocalEvaluation.js';

/** The local-only record of what this party contributed (exact counts: it never leaves the silo). */
export const POOLED_CONTRIBUTION_FILE = 'pooled-risk-contribution.json';

type RiskCountsQuery = Extract<LocalQuery, { kind: 'riskCounts' }>;

export interface PooledRiskContribution {
  /**
   * Checks, before anything is charged, that this party holds the delivered synthetic.csv the
   * query names (hash) and its rows; returns the computation to run after the charge. Refuses with
   * PROTOCOL_VIOLATION (field compute.query) otherwise.
   */
  prepare(studyId: string, schemaJson: string, query: RiskCountsQuery): () => Promise<Float64Array>;
}

/** What the count needs: the delivered outputs' folder, the domain, the verified families and the party's rows as codes. */
export interface PooledRiskInput {
  readonly dir: string;
  readonly studyId: string;
  readonly attrs: readonly string[];
  readonly shape: readonly number[];
  readonly schemaJson: string;
  /** Verified before the charge (validateLocalQuery: pairwise disjoint). */
  readonly families: readonly SinglingOutFamily[];
  readonly train: CodeColumn[];
  readonly control: CodeColumn[] | undefined;
}

/**
 * The party's exact count vector (pooledRiskCounts) against the delivered synthetic.csv, read in
 * chunks (the attacked rows only: all up to MAX_ATTACKED_SYNTHETIC_ROWS, else the seeded sample the
 * coordinator reports); writes the local-only record of it beside the outputs.
 */
export function countPooledRisk(o: PooledRiskInput): Float64Array {
  const { attrs, shape, studyId } = o;
  const schema = o.schemaJson ? parseSchema(JSON.parse(o.schemaJson)) : null;
  const synth = attackedSyntheticRows(syntheticCsvChunks(join(o.dir, 'synthetic.csv'), { columns: attrs, sizes: shape, schema }), `pooled/${studyId}`);
  const table = (cols: CodeColumn[]) => makeCodeTable(attrs, shape, cols);
  const train = table(o.train);
  const control = table(o.control && o.control.length === attrs.length ? o.control : attrs.map(() => new Int32Array(0)));
  const families = o.families;
  const counts = pooledRiskCounts(train, control, synth, `pooled/${studyId}`, families);
  // This silo's own figures from its exact counts (the same function the coordinator runs on the noisy sum).
  const noise = { stddev: 0, l2Sensitivity: pooledRiskSensitivity(attrs.length, families.length), rho: 0, parties: 1 };
  const own = pooledRiskFigures(counts, attrs, synth.rows, noise, 0.95, { families: families.length, predicates: families.reduce((n, f) => n + f.length, 0) });
  writeFileSync(join(o.dir, POOLED_CONTRIBUTION_FILE), JSON.stringify({ scope: LOCAL_ONLY_NOTE, studyId, counts: Array.from(counts), figures: own }, null, 2));
  return counts;
}

/** Counts the pooled risk somewhere other than this thread (LocalEvaluationThreads: a worker), rows moved when `transfer`. */
export interface PooledRiskRunner {
  runPooledRisk(input: PooledRiskInput, opts?: { readonly transfer?: boolean }): Promise<Float64Array>;
}

/**
 * The contribution over the agent's delivered outputs (`stateDir/outputs/<study>`) and its rows;
 * counted in a worker thread of `threads` when given (the agent's), else inline.
 */
export function pooledRiskContribution(stateDir: string, domain: Domain, rows: LocalRowSource | undefined, threads?: PooledRiskRunner): PooledRiskContribution {
  const refuse = (why: string): never => {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.query: ${why}`, { field: 'compute.query' });
  };
  return {
    prepare(studyId, schemaJson, query) {
      if (!rows) refuse('this party cannot read its rows as codes, so it cannot count the risk attacks');
      const dir = join(stateDir, 'outputs', studyId);
      const file = join(dir, 'synthetic.csv');
      if (!existsSync(file)) refuse(`study ${studyId}: no delivered synthetic.csv at this party (a pooled risk round comes after delivery)`);
      const digest = fileSha256(file);
      if (digest !== query.syntheticSha256) refuse(`the round names synthetic data ${query.syntheticSha256.slice(0, 12)}…, this party received ${digest.slice(0, 12)}…`);
      const input = (train: CodeColumn[], control: CodeColumn[] | undefined): PooledRiskInput => ({ dir, studyId, attrs: domain.attrs, shape: domain.shape, schemaJson, families: query.singlingOut ?? [], train, control });
      return async () => {
        const train = await rows!.codeColumns();
        const control = rows!.controlColumns ? await rows!.controlColumns() : undefined;
        // Minutes of attacks at a large silo: in a worker thread, so the agent keeps its heartbeats.
        return threads ? threads.runPooledRisk(input(train, control), { transfer: true }) : countPooledRisk(input(train, control));
      };
    },
  };
}
