// writeSilos: deals the first rows of the bundled raw UCI Adult sample (data/adult-raw.csv) to N
// party CSV files in consecutive slices, each with the header: small silos for integration tests.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './runCli.js';

export const RAW_CSV = join(REPO_ROOT, 'data', 'adult-raw.csv');
export const RAW_SCHEMA = join(REPO_ROOT, 'data', 'adult-raw.schema.json');

/** Writes `files.length` silos from the first `rows` data rows; returns each silo's data lines. */
export function writeSilos(files: readonly string[], rows: number): string[][] {
  const lines = readFileSync(RAW_CSV, 'utf8').split('\n');
  const header = lines[0];
  const body = lines.slice(1, rows + 1).filter((l) => l !== '');
  const per = Math.ceil(body.length / files.length);
  return files.map((f, i) => {
    const mine = body.slice(i * per, (i + 1) * per);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, [header, ...mine].join('\n') + '\n');
    return mine;
  });
}
