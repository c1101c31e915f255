// PooledRiskContribution: the party's exact answer to a post-delivery `riskCounts` round — the risk
// attacks of the DELIVERED synthetic data on all of its training and control rows (pooledRiskCounts).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { makeCodeTable } from '../../shared/eval/CodeTable.js';
import { pooledRiskCounts, pooledRiskSensitivity } from '../../shared/eval/risk/pooledRiskCounts.js';
import { pooledRiskFigures } from '../../shared/eval/risk/pooledRiskFigures.js';
import type { LocalQuery } from '../../shared/synth/LocalQuery.js';
import { syntheticCodeTable } from '../../shared/eval/evaluateSynthetic.js';
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

/** The contribution over the agent's delivered outputs (`stateDir/outputs/<study>`) and its rows. */
export function pooledRiskContribution(stateDir: string, domain: Domain, rows: LocalRowSource | undefined): PooledRiskContribution {
  const refuse = (why: string): never => {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.query: ${why}`, { field: 'compute.query' });
  };
  return {
    prepare(studyId, schemaJson, query) {
      if (!rows) refuse('this party cannot read its rows as codes, so it cannot count the risk attacks');
      const dir = join(stateDir, 'outputs', studyId);
      const file = join(dir, 'synthetic.csv');
      if (!existsSync(file)) refuse(`study ${studyId}: no delivered synthetic.csv at this party (a pooled risk round comes after delivery)`);
      const bytes = readFileSync(file);
      const digest = createHash('sha256').update(bytes).digest('hex');
      if (digest !== query.syntheticSha256) refuse(`the round names synthetic data ${query.syntheticSha256.slice(0, 12)}…, this party received ${digest.slice(0, 12)}…`);
      return async () => {
        const synth = syntheticCodeTable(bytes.toString('utf8'), 'synthetic.csv', domain.attrs, domain.shape, schemaJson ? parseSchema(JSON.parse(schemaJson)) : null);
        const table = (cols: Int32Array[]) => makeCodeTable(domain.attrs, domain.shape, cols);
        const train = table(await rows!.codeColumns());
        const controlCols = rows!.controlColumns ? await rows!.controlColumns() : undefined;
        const control = table(controlCols && controlCols.length === domain.attrs.length ? controlCols : domain.attrs.map(() => new Int32Array(0)));
        // The families were verified (validateLocalQuery: pairwise disjoint) before the charge.
        const families = query.singlingOut ?? [];
        const counts = pooledRiskCounts(train, control, synth, `pooled/${studyId}`, families);
        // This silo's own figures from its exact counts (the same function the coordinator runs on the noisy sum).
        const noise = { stddev: 0, l2Sensitivity: pooledRiskSensitivity(domain.attrs.length, families.length), rho: 0, parties: 1 };
        const own = pooledRiskFigures(counts, domain.attrs, synth.rows, noise, 0.95, { families: families.length, predicates: families.reduce((n, f) => n + f.length, 0) });
        writeFileSync(join(dir, POOLED_CONTRIBUTION_FILE), JSON.stringify({ scope: LOCAL_ONLY_NOTE, studyId, counts: Array.from(counts), figures: own }, null, 2));
        return counts;
      };
    },
  };
}
