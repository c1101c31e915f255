// Benchmark of the Anonymeter-style risk evaluation (shared/eval/risk) on Adult: one silo (2,442
// training and 2,442 control rows against 24,421 synthetic rows, the 10-party scale) and the whole
// consortium (24,421 / 24,421 / 24,421). Synthetic = real rows with one column in four redrawn.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './_projectRoot.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { selectRows, type CodeTable } from '../shared/eval/CodeTable.js';
import { parseCodeCsv } from '../shared/eval/parseCodeCsv.js';
import { parseDomainJson } from '../shared/eval/parseDomainJson.js';
import { sampleRows } from '../shared/eval/sampleRows.js';
import { evaluateRisk } from '../shared/eval/risk/evaluateRisk.js';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const root = projectRoot();
  const domain = parseDomainJson(readFileSync(join(root, 'data/adult-domain.json'), 'utf8'), 'adult-domain.json');
  const adult = parseCodeCsv(readFileSync(join(root, 'data/adult.csv'), 'utf8'), domain, 'adult.csv');
  // A seeded shuffle, then thirds of the order: training, control, synthetic source.
  const order = Array.from(sampleRows(adult.rows, adult.rows, 'bench-risk', 'shuffle'));
  const rng = seededRandomSource('bench-risk', 'order');
  for (let i = order.length - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const half = Math.floor(adult.rows / 2);
  const train = selectRows(adult, order.slice(0, half));
  const control = selectRows(adult, order.slice(half, 2 * half));
  const synth = selectRows(train, range(0, train.rows));
  for (let r = 0; r < synth.rows; r++) {
    if (uniformInt(rng, 4) === 0) {
      const c = uniformInt(rng, synth.columns.length);
      synth.data[c][r] = uniformInt(rng, synth.sizes[c]);
    }
  }
  const silo = Math.floor(half / 10);
  const cases: [string, CodeTable, CodeTable][] = [
    ['silo', selectRows(train, range(0, silo)), selectRows(control, range(0, silo))],
    ['consortium', train, control],
  ];
  for (const [scope, tr, co] of cases) {
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    const r = evaluateRisk(tr, co, synth, { seed: 'bench', attacks: 2000 });
    const cpu = process.cpuUsage(cpu0);
    emit({
      scope,
      rows: r.rows,
      attacks: 2000,
      wallSeconds: Math.round(performance.now() - t) / 1000,
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
      seconds: r.seconds,
      risk: { singlingOut: r.singlingOut?.risk ?? null, linkability: r.linkability.risk, inference: r.inference?.risk ?? null, miaAuc: r.mia.auc },
    });
  }
}
