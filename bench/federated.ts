// Benchmark: the whole federated system end to end — `simulate` (real coordinator and agents,
// gRPC over mTLS on 127.0.0.1, masking secure aggregation) on Adult, scored by the exact TV scorer.
// Default: MST and AIM at epsilon 1, 10 parties, dirichlet:0.5. BENCH_FULL=1: the grid.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { parseCodeCsv } from '../shared/eval/parseCodeCsv.js';
import { parseDomainJson } from '../shared/eval/parseDomainJson.js';
import { totalVariation } from '../shared/eval/totalVariation.js';
import { tvScoreRecord } from '../shared/eval/tvScoreRecord.js';
import { runSimulation } from '../simulation/runSimulation.js';
import { silentLogger } from '../platform/logging/logging.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const dataFile = join(ROOT, 'data', 'adult.csv');
  const domainFile = join(ROOT, 'data', 'adult-domain.json');
  const domainText = readFileSync(domainFile, 'utf8');
  const dataText = readFileSync(dataFile, 'utf8');
  const domain = Domain.fromJson(JSON.parse(domainText) as Record<string, number>);
  const table = EncodedTable.fromCsv(dataText, domain);
  const evalDomain = parseDomainJson(domainText, domainFile);
  const real = parseCodeCsv(dataText, evalDomain, dataFile);
  const full = process.env.BENCH_FULL === '1';
  const grid: { mechanism: 'mst' | 'aim'; epsilon: number; parties: number }[] = [];
  const mechs = (process.env.BENCH_MECH?.split(',') as ('mst' | 'aim')[] | undefined) ?? ['mst', 'aim'];
  for (const mechanism of mechs) {
    for (const epsilon of full ? [0.5, 1, 4] : [1]) {
      for (const parties of full ? [1, 3, 10] : [10]) grid.push({ mechanism, epsilon, parties });
    }
  }
  for (const g of grid) {
    const out = mkdtempSync(join(tmpdir(), 'fedsynth-bench-'));
    const t0 = Date.now();
    try {
      const { run: r } = await runSimulation({
        table,
        domain,
        parties: g.parties,
        split: parsePartySplit('dirichlet:0.5'),
        splitText: 'dirichlet:0.5',
        epsilon: g.epsilon,
        delta: 1e-9,
        mechanism: g.mechanism,
        // Secure aggregation needs at least 2 inputs (a sum of one vector is that vector): the
        // 1-party (central) case runs plain.
        aggregation: g.parties > 1 ? 'masking' : 'plain',
        rows: table.rowCount,
        seed: '1',
        out,
        drop: 0,
        colluders: 0,
        log: silentLogger(),
      });
      const seconds = (Date.now() - t0) / 1000;
      const synth = parseCodeCsv(readFileSync(join(out, 'synthetic.csv'), 'utf8'), evalDomain, 'synthetic.csv');
      const tv = totalVariation(real, synth, 3);
      emit({
        mechanism: g.mechanism,
        epsilon: g.epsilon,
        delta: 1e-9,
        parties: g.parties,
        split: 'dirichlet:0.5',
        aggregation: g.parties > 1 ? 'masking' : 'plain',
        ...tvScoreRecord(tv, real.rows, synth.rows),
        rounds: r.rounds,
        wallSeconds: seconds,
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
}
