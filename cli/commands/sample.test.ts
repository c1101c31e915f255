// Tests of `fedsynth sample`: row counts, seeded reproducibility, --where respected (labels, numeric
// bins, integer codes), decoding with the embedded schema, errors naming the unknown column or value.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Domain } from '../../shared/pgm/Domain.js';
import { Factor } from '../../shared/pgm/Factor.js';
import { CliqueVector } from '../../shared/pgm/CliqueVector.js';
import { GraphicalModel } from '../../shared/pgm/GraphicalModel.js';
import { runMain, type CliRun } from '../../test/support/captureCli.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-sample-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const schema = {
  version: 1,
  decode: 'uniform',
  columns: [
    { name: 'age', type: 'integer', edges: [0, 50, 100] },
    { name: 'sex', type: 'categorical', categories: ['Female', 'Male'] },
    { name: 'income', type: 'categorical', categories: ['<=50K', '>50K'] },
  ],
};
const domain = new Domain(['age', 'sex', 'income'], [2, 2, 2]);
let withSchema: string;
let codesOnly: string;

function modelDoc(schemaField: unknown): string {
  // log-potentials: income depends strongly on sex (P(>50K | Female) = 1/10, P(>50K | Male) = 9/10).
  const sexIncome = new Float64Array([Math.log(9), 0, 0, Math.log(9)]);
  const model = GraphicalModel.fromPotentials(domain, new CliqueVector([new Factor(domain, ['age']), new Factor(domain, ['sex', 'income'], sexIncome)]), 1000);
  return JSON.stringify({ format: 'fedsynth-model/v1', studyId: 'st-9', privacy: { rho: 0.1, epsilon: 2, delta: 1e-6 }, model: model.toJSON(), schema: schemaField });
}

const cli = (...args: string[]): Promise<CliRun> => runMain(['sample', ...args]);

function rowsOf(csv: string): string[][] {
  return csv.trim().split('\n').slice(1).map((l) => l.split(','));
}

beforeAll(() => {
  withSchema = join(root, 'model.json');
  codesOnly = join(root, 'model-codes.json');
  writeFileSync(withSchema, modelDoc(schema));
  writeFileSync(codesOnly, modelDoc(null));
});

describe('fedsynth sample', () => {
  it('draws exactly --rows rows, decoded with the embedded schema, reproducibly with --seed', async () => {
    const out = join(root, 'a.csv');
    const r = await cli('--model', withSchema, '--rows', '777', '--seed', 's1', '--out', out);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ rows: 777, studyId: 'st-9', decoded: true });
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('age,sex,income');
    const rows = rowsOf(text);
    expect(rows).toHaveLength(777);
    for (const [age, sex, income] of rows) {
      expect(Number(age)).toBeGreaterThanOrEqual(0);
      expect(Number(age)).toBeLessThanOrEqual(100);
      expect(['Female', 'Male']).toContain(sex);
      expect(['<=50K', '>50K']).toContain(income);
    }
    const again = await cli('--model', withSchema, '--rows', '777', '--seed', 's1');
    expect(again.out).toBe(text);
  });

  it('respects --where on labels and numeric bins, and conditions the other columns', async () => {
    const r = await cli('--model', withSchema, '--rows', '2000', '--seed', 's2', '--where', 'sex=Female', '--where', 'age=35');
    expect(r.code).toBe(0);
    const rows = rowsOf(r.out);
    expect(rows).toHaveLength(2000);
    expect(rows.every(([age, sex]) => sex === 'Female' && Number(age) >= 0 && Number(age) < 50)).toBe(true);
    // P(>50K | Female) = 0.1: the count is Binomial(2000, 0.1) (mean 200, sd 13.4); the window
    // [120, 280] is ±6 sd, false-positive rate < 1e-8 (normal tail; the seed is fixed anyway).
    const rich = rows.filter((x) => x[2] === '>50K').length;
    expect(rich).toBeGreaterThan(120);
    expect(rich).toBeLessThan(280);
  });

  it('takes integer codes for a model without a schema (and --codes forces codes)', async () => {
    const r = await cli('--model', codesOnly, '--rows', '300', '--seed', 's3', '--where', 'income=1');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('age,sex,income');
    expect(rowsOf(r.out).every((x) => x[2] === '1')).toBe(true);
    const c = await cli('--model', withSchema, '--rows', '5', '--codes', '--seed', 's3');
    expect(rowsOf(c.out).every((x) => x.every((v) => v === '0' || v === '1'))).toBe(true);
    // --schema decodes a model written without one
    const schemaFile = join(root, 'schema.json');
    writeFileSync(schemaFile, JSON.stringify(schema));
    const d = await cli('--model', codesOnly, '--schema', schemaFile, '--rows', '5', '--seed', 's3', '--where', 'sex=Male');
    expect(rowsOf(d.out).every((x) => x[1] === 'Male')).toBe(true);
  });

  it("decodes MST's compressed domain back to study codes, also under --where on a merged value", async () => {
    // Study column r has 4 codes; MST kept code 0 and merged 1, 2, 3 into model code 1.
    const cdom = new Domain(['r', 's'], [2, 2]);
    const model = GraphicalModel.fromPotentials(cdom, new CliqueVector([new Factor(cdom, ['r', 's'], new Float64Array([0, 0, Math.log(3), 0]))]), 100);
    const file = join(root, 'model-compressed.json');
    const doc = { format: 'fedsynth-model/v1', studyId: 'st-c', domain: { r: 4, s: 2 }, details: { compression: [{ attr: 'r', map: [0, 1, 1, 1], size: 2 }] }, model: model.toJSON(), schema: null };
    writeFileSync(file, JSON.stringify(doc));
    const all = rowsOf((await cli('--model', file, '--rows', '3000', '--seed', 's4')).out);
    const seen = new Set(all.map((x) => x[0]));
    expect([...seen].sort()).toEqual(['0', '1', '2', '3']);
    const merged = await cli('--model', file, '--rows', '500', '--seed', 's4', '--where', 'r=2');
    expect(merged.code).toBe(0);
    expect(rowsOf(merged.out).every((x) => x[0] === '2')).toBe(true);
    expect((await cli('--model', file, '--rows', '5', '--where', 'r=4')).code).toBe(64);
    // A recorded compression that does not fit the model is refused (planted).
    writeFileSync(file, JSON.stringify({ ...doc, details: { compression: [{ attr: 'r', map: [0, 1, 2, 2], size: 3 }] } }));
    expect((await cli('--model', file, '--rows', '5')).err).toContain('column r');
  });

  it('errors name the unknown column or value (exit 64), a missing model (66)', async () => {
    const col = await cli('--model', withSchema, '--rows', '5', '--where', 'gender=Female');
    expect(col.code).toBe(64);
    expect(col.err).toMatch(/INVALID_ARGUMENT: --where: unknown column 'gender'/);
    const val = await cli('--model', withSchema, '--rows', '5', '--where', 'sex=Other');
    expect(val.code).toBe(64);
    expect(val.err).toMatch(/value 'Other' is not in the domain of column 'sex'.*Female, Male/);
    const code = await cli('--model', codesOnly, '--rows', '5', '--where', 'sex=2');
    expect(code.code).toBe(64);
    expect(code.err).toContain("value '2' of column 'sex'");
    expect((await cli('--model', withSchema, '--rows', '5', '--where', 'sex=Male', '--where', 'sex=Female')).err).toContain('more than once');
    expect((await cli('--model', withSchema, '--rows', '0')).code).toBe(64);
    expect((await cli('--model', join(root, 'none.json'), '--rows', '5')).code).toBe(66);
  });

  it("a dpsgd generator's continuous columns keep the decoder's sampled values, not a redraw within the bin", async () => {
    const { parseSchema } = await import('../../shared/schema/ConsortiumSchema.js');
    const { schemaDomain } = await import('../../shared/schema/columnLayout.js');
    const { TabularEncoding } = await import('../../shared/neural/TabularEncoding.js');
    const { initParams } = await import('../../shared/neural/TabularVae.js');
    const { sampleVaeRows } = await import('../../shared/neural/sampleVaeRows.js');
    const { seededRandomSource } = await import('../../shared/dp/random/RandomSource.js');
    const parsed = parseSchema(schema);
    const spec = { encoding: TabularEncoding.fromSchema(parsed), hidden: [6], latent: 2, offsetSigma: 0.2 };
    const weights = initParams(spec, seededRandomSource('sample-test', 'tvae'));
    const file = join(root, 'model-tvae.json');
    const model = { kind: 'tvae', hidden: spec.hidden, latent: spec.latent, offsetSigma: spec.offsetSigma, weights: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64') };
    writeFileSync(file, JSON.stringify({ format: 'fedsynth-model/v1', studyId: 'st-t', domain: schemaDomain(parsed), model, schema }));
    const r = await cli('--model', file, '--rows', '300', '--seed', 's5');
    expect(r.code).toBe(0);
    // The same draws as `sample` makes (its rows stream): every age cell is the decoder's value.
    const sampled = await sampleVaeRows(spec, weights, 300, seededRandomSource('s5', 'sample/rows'));
    expect(rowsOf(r.out).map((x) => x[0])).toEqual(Array.from(sampled.values[0]!, (v) => String(v)));
    // A model on the probit offset scale (dpsgd studies since it) decodes on that scale; no other scale is accepted.
    const probit = { ...spec, encoding: TabularEncoding.fromSchema(parsed, 'probit') };
    writeFileSync(file, JSON.stringify({ format: 'fedsynth-model/v1', studyId: 'st-t', domain: schemaDomain(parsed), model: { ...model, offsetScale: 'probit' }, schema }));
    const p = await cli('--model', file, '--rows', '300', '--seed', 's5');
    const probitRows = await sampleVaeRows(probit, weights, 300, seededRandomSource('s5', 'sample/rows'));
    expect(rowsOf(p.out).map((x) => x[0])).toEqual(Array.from(probitRows.values[0]!, (v) => String(v)));
    expect(rowsOf(p.out).map((x) => x[0])).not.toEqual(rowsOf(r.out).map((x) => x[0]));
    writeFileSync(file, JSON.stringify({ format: 'fedsynth-model/v1', studyId: 'st-t', domain: schemaDomain(parsed), model: { ...model, offsetScale: 'log' }, schema }));
    expect((await cli('--model', file, '--rows', '5')).err).toContain('offsetScale');
    // Per-bin offset means (dpsgd studies since them): the weights of that layout, each value from its bin's mean.
    const perBin = { ...probit, offsetMeans: 'bin' as const };
    const binWeights = initParams(perBin, seededRandomSource('sample-test', 'tvae-bin'));
    const binModel = { ...model, offsetScale: 'probit', offsetMeans: 'bin', weights: Buffer.from(binWeights.buffer, binWeights.byteOffset, binWeights.byteLength).toString('base64') };
    writeFileSync(file, JSON.stringify({ format: 'fedsynth-model/v1', studyId: 'st-t', domain: schemaDomain(parsed), model: binModel, schema }));
    const q = await cli('--model', file, '--rows', '300', '--seed', 's5');
    expect(q.code).toBe(0);
    const binRows = await sampleVaeRows(perBin, binWeights, 300, seededRandomSource('s5', 'sample/rows'));
    expect(rowsOf(q.out).map((x) => x[0])).toEqual(Array.from(binRows.values[0]!, (v) => String(v)));
    writeFileSync(file, JSON.stringify({ format: 'fedsynth-model/v1', studyId: 'st-t', domain: schemaDomain(parsed), model: { ...binModel, offsetMeans: 'mode' }, schema }));
    expect((await cli('--model', file, '--rows', '5')).err).toContain('offsetMeans');
  });
});
