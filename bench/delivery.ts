// bench/delivery: cost of a study's output step on 1e6 synthetic rows (Adult domain codes): the
// Parquet conversion, the signed manifest (hashing + Ed25519) and `verify` of the directory.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Domain } from '../shared/pgm/Domain.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { encodeCsv } from '../shared/data/encodeCsv.js';
import { writeParquet } from '../coordinator/delivery/ParquetWriter.js';
import { writeSignedManifest } from '../coordinator/delivery/SignedManifest.js';
import { verifyStudyOutputs } from '../platform/delivery/verifyStudyOutputs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const rows = 1_000_000;
  const domain = Domain.fromJson(JSON.parse(readFileSync(join(ROOT, 'data', 'adult-domain.json'), 'utf8')) as Record<string, number>);
  const rng = seededRandomSource('bench', 'delivery/rows');
  const cols = domain.shape.map((s) => {
    const c = new Int32Array(rows);
    for (let i = 0; i < rows; i++) c[i] = uniformInt(rng, s);
    return c;
  });
  const dir = mkdtempSync(join(tmpdir(), 'fedsynth-bench-delivery-'));
  try {
    let t = performance.now();
    writeFileSync(join(dir, 'synthetic.csv'), encodeCsv(domain.attrs, cols));
    emit({ step: 'csv', rows, bytes: statSync(join(dir, 'synthetic.csv')).size, seconds: (performance.now() - t) / 1000 });
    t = performance.now();
    await writeParquet(join(dir, 'synthetic.csv'), join(dir, 'synthetic.parquet'), domain.attrs);
    emit({ step: 'parquet', rows, bytes: statSync(join(dir, 'synthetic.parquet')).size, seconds: (performance.now() - t) / 1000 });
    // The signer block needs a certificate; the bench measures hashing and signing with a bare key.
    const { privateKey } = generateKeyPairSync('ed25519');
    t = performance.now();
    const files = ['synthetic.csv', 'synthetic.parquet'];
    const meta = { studyId: 'bench', study: {}, privacy: { rho: 0, epsilon: 0, delta: 0 } };
    writeSignedManifest(dir, files, meta, { id: 'coordinator', certificatePem: '', signingKey: privateKey });
    emit({ step: 'manifest', seconds: (performance.now() - t) / 1000 });
    writeSignedManifest(dir, files, meta);
    t = performance.now();
    verifyStudyOutputs(dir, { allowUnsigned: true });
    emit({ step: 'verify-hashes', seconds: (performance.now() - t) / 1000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
