// splitRawCsv: deals the lines of a raw CSV (no quoted fields) to N party files with a label skew
// (non-IID): each label value has its own, seeded, uneven split of its rows. Demo data only.
import { readFileSync, writeFileSync } from 'node:fs';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformFloat } from '../../shared/dp/random/uniform.js';

/** Writes `outFiles.length` CSVs; returns the row count of each. */
export function splitRawCsv(file: string, labelColumn: string, outFiles: readonly string[], seed: string): number[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = lines[0];
  const col = header.split(',').indexOf(labelColumn);
  if (col < 0) throw new FedsynthError(ErrorCode.InvalidData, `${file}: no column '${labelColumn}' in the header`, { file });
  const n = outFiles.length;
  const rng = seededRandomSource(seed, 'demo/split');
  // One skewed weight vector per label value: party i gets weight (i+1)^2 rotated by the label.
  const labelWeights = new Map<string, number[]>();
  const buckets: string[][] = outFiles.map(() => [header]);
  for (let i = 1; i < lines.length; i++) {
    const label = lines[i].split(',')[col] ?? '';
    let w = labelWeights.get(label);
    if (!w) {
      const k = labelWeights.size;
      w = Array.from({ length: n }, (_, j) => ((j + k) % n) + 1).map((x) => x * x);
      labelWeights.set(label, w);
    }
    const total = w.reduce((a, b) => a + b, 0);
    let u = uniformFloat(rng) * total;
    let p = 0;
    while (p < n - 1 && u >= w[p]) u -= w[p++];
    buckets[p].push(lines[i]);
  }
  outFiles.forEach((f, i) => writeFileSync(f, buckets[i].join('\n') + '\n'));
  return buckets.map((b) => b.length - 1);
}
