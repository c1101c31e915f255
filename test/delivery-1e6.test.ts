// Delivery of large outputs: a study of 1,000,000 synthetic rows through a real Coordinator and real
// PartyAgents (gRPC, 1 MiB chunks); every party holds byte-identical, verified files and a local-only report.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { domainHash } from '../shared/study/domainHash.js';
import { silentLogger } from '../platform/logging/logging.js';
import { LocalConsortium } from '../simulation/LocalConsortium.js';
import { fromGrpcError } from '../coordinator/grpcErrors.js';
import { OUTPUT_FILES } from '../coordinator/delivery/StudyOutputs.js';
import { verifyStudyOutputs } from '../platform/delivery/verifyStudyOutputs.js';
import { Aggregation, Mechanism, type StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-delivery-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ROWS = 1_000_000;

function table(domain: Domain, rows: number, seed: string): EncodedTable {
  const rng = seededRandomSource(seed, 'test/rows');
  const cols = domain.shape.map(() => new Int32Array(rows));
  for (let r = 0; r < rows; r++) {
    const a = uniformInt(rng, domain.shape[0]);
    cols[0][r] = a;
    // b follows a most of the time, c is independent: a model with some structure.
    cols[1][r] = uniformInt(rng, 4) === 0 ? uniformInt(rng, domain.shape[1]) : a % domain.shape[1];
    cols[2][r] = uniformInt(rng, domain.shape[2]);
  }
  return new EncodedTable(domain, cols);
}

it('delivers 1e6 synthetic rows to every party, byte-identical and verified against the signed manifest', async () => {
  const domain = new Domain(['a', 'b', 'c'], [4, 3, 5]);
  const consortium = new LocalConsortium({
    domain,
    sources: [table(domain, 3000, 'p1'), table(domain, 2000, 'p2')].map((t) => new InMemoryMarginalSource(t)),
    log: silentLogger(),
    seed: 'delivery',
    ledgerRho: 1,
    policy: { allowedColumns: '*', maxEpsilonPerStudy: 4, maxDeltaPerStudy: 1e-6, allowedMechanisms: ['mst'], minParties: 1, autoApprove: true, allowPlainAggregation: true }, // a plain study of epsilon 1 exposes each of 2 parties to more (plain mode charges what it reveals)
    workDir: join(root, 'consortium'),
  });
  await consortium.start();
  try {
    const created = await new Promise<StudyStatus>((resolve, reject) =>
      consortium.operator.createStudy(
        {
          spec: {
            studyId: '',
            title: 'large delivery',
            mechanism: Mechanism.MECHANISM_MST,
            epsilon: 1,
            delta: 1e-6,
            rho: 0,
            columns: [],
            domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })),
            aggregation: Aggregation.AGGREGATION_PLAIN,
            minParties: 2,
            colluders: 0,
            dropouts: 0,
            syntheticRows: ROWS,
            domainHash: domainHash(domain),
            maxSilosPerIndividual: 1,
            targetColumn: '',
            schemaJson: '',
            neighbours: 0,
            training: undefined,
            evaluationRho: 0,
          },
          parties: consortium.partyIds,
          seed: 'delivery',
          splitNote: '',
          roundTimeoutMs: 0,
        },
        (err, res) => (err ? reject(fromGrpcError(err)) : resolve(res)),
      ),
    );
    const studyId = created.spec!.studyId;
    await consortium.coordinator.waitForStudy(studyId);
    expect(consortium.coordinator.store.getStudy(studyId).state).toBe('done');

    const source = join(consortium.dir, 'coordinator', 'studies', studyId);
    const csv = readFileSync(join(source, 'synthetic.csv'), 'utf8');
    expect(csv.split('\n').length - 2).toBe(ROWS); // header + rows + final newline
    expect(statSync(join(source, 'synthetic.csv')).size).toBeGreaterThan(3 << 20); // several 1 MiB chunks
    const caPem = readFileSync(join(consortium.dir, 'kits', 'coordinator', 'ca.crt'), 'utf8');
    expect(verifyStudyOutputs(source, { caPem }).signer).toBe('coordinator');

    for (const id of consortium.partyIds) {
      const dir = join(consortium.dir, 'agents', id, 'outputs', studyId);
      // Chunks are sent before the study is marked done; the agent writes them asynchronously.
      const deadline = Date.now() + 30_000;
      while (!OUTPUT_FILES.every((f) => existsSync(join(dir, f))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const f of OUTPUT_FILES) expect(readFileSync(join(dir, f)).equals(readFileSync(join(source, f))), `${id}/${f}`).toBe(true);
      // Each party scored the synthetic rows against its own rows; the report is local-only. The
      // evaluation runs in a worker thread after delivery: on a loaded machine it takes minutes (CI at
      // load 30 missed a 30 s wait shared with the files), so it gets its own generous wait.
      const reportDeadline = Date.now() + 300_000;
      while (!existsSync(join(dir, 'report.json')) && Date.now() < reportDeadline) await new Promise((r) => setTimeout(r, 50));
      const local = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { title: string; parameters: { scope: string; localRowsEvaluated: number } };
      expect(local.title).toContain('LOCAL-ONLY');
      expect(local.parameters.scope).toContain('never sent');
      expect(local.parameters.localRowsEvaluated).toBe(id === consortium.partyIds[0] ? 3000 : 2000); // below the 5000-row cap
      const r = verifyStudyOutputs(dir, { caPem });
      expect(r.files.map((f) => f.name)).toEqual(OUTPUT_FILES.filter((f) => f !== 'manifest.json'));
      expect([...r.unlisted].sort()).toEqual(['report.html', 'report.json']);
    }
    // The coordinator holds only its own consortium report (from the noisy measurements), never a
    // party's local-only report.
    const operatorReport = JSON.parse(readFileSync(join(source, 'report.json'), 'utf8')) as { format: string; title: string; parameters?: unknown };
    expect(operatorReport.format).toBe('fedsynth-consortium-report/v1');
    expect(operatorReport.title).not.toContain('LOCAL-ONLY');
    expect(operatorReport.parameters).toBeUndefined();
  } finally {
    await consortium.stop();
  }
}, 900_000); // a loaded machine: delivery plus each party's local evaluation
