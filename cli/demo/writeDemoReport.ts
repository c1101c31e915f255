// writeDemoReport: the demo's evaluation report (report.json, report.html in --out): the fetched
// synthetic.csv scored against the demo's full bundled sample, which the demo operator owns.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateParty, type PartyEvaluation } from '../../shared/eval/evaluateParty.js';
import type { RiskFigures } from '../../shared/eval/RiskFigures.js';
import { buildReportJson } from '../../shared/eval/buildReportJson.js';
import type { PrivacySpent } from '../../shared/eval/EvaluationReport.js';
import { loadRawTables } from '../evaluation/loadRawTables.js';
import { continuousWasserstein } from '../../shared/eval/continuousWasserstein.js';
import { writeReportFiles } from '../../platform/report/writeReportFiles.js';
import { codeLabels } from '../../shared/schema/codeLabels.js';

export interface DemoReportOptions {
  /** The demo's --out directory (holds the fetched synthetic.csv). */
  readonly outDir: string;
  /** The bundled raw sample every silo was cut from, and its schema. */
  readonly sampleCsv: string;
  readonly schemaFile: string;
  readonly target: string;
  /** Privacy spent, from the study's run.json. */
  readonly privacySpent: PrivacySpent;
  readonly studyId: string;
}

export const DEMO_EVALUATION_NOTE =
  "evaluated against the demo's full sample: the demo operator owns this public sample (data/adult-raw.csv) and " +
  'every hospital silo was cut from it. In a real consortium no one holds the pooled rows; each party evaluates ' +
  'against its own rows locally.';

export const DEMO_RISK_NOTE =
  "the hospitals' own risk figures (privacy.riskPerSilo), copied from their local-only reports: each hospital held back a " +
  'control sample before any round and attacked the synthetic data against its own rows. Only the demo can collect them (every ' +
  'silo is on this machine); in a real consortium they stay at each silo, and a consortium figure needs a DP release of the attack counts (not built).';

/** The demo's evaluation (the slow part), done while the hospitals evaluate locally. */
export interface DemoEvaluation {
  readonly evaluation: PartyEvaluation;
  readonly tables: ReturnType<typeof loadRawTables<'real' | 'synthetic'>>;
  readonly seconds: number;
}

/** The demo's full sample encoded under the schema (loaded while the study runs: it does not depend on the outputs). */
export function loadDemoSample(sampleCsv: string, schemaFile: string): ReturnType<typeof loadRawTables<'real'>> {
  return loadRawTables(schemaFile, { real: sampleCsv });
}

export function evaluateDemo(o: DemoReportOptions, sample: ReturnType<typeof loadDemoSample>): DemoEvaluation {
  const t0 = performance.now();
  const synth = loadRawTables(o.schemaFile, { synthetic: join(o.outDir, 'synthetic.csv') });
  const tables = {
    ...sample,
    synthetic: synth.synthetic,
    dropped: { real: sample.dropped.real, synthetic: synth.dropped.synthetic },
    values: { real: sample.values.real, synthetic: synth.values.synthetic },
  };
  const categorical = tables.schema.columns.map((c) => c.type === 'categorical');
  const evaluation = evaluateParty({ train: tables.real, synth: tables.synthetic, target: o.target, maxWay: 3, seed: `demo/${o.studyId}`, categorical });
  return { evaluation, tables, seconds: (performance.now() - t0) / 1000 };
}

/** The risk figures of each hospital's local report.json (those that have them). */
export function readSiloRisk(localReportHtmlFiles: readonly string[]): RiskFigures[] {
  const out: RiskFigures[] = [];
  for (const html of localReportHtmlFiles) {
    const json = html.replace(/report\.html$/, 'report.json');
    if (!existsSync(json)) continue;
    const risk = (JSON.parse(readFileSync(json, 'utf8')) as { privacy?: { risk?: RiskFigures | null } }).privacy?.risk;
    if (risk) out.push(risk);
  }
  return out;
}

/** Writes the report from the demo's evaluation and the silos' risk figures; returns the file paths and the seconds spent. */
export function writeDemoReport(o: DemoReportOptions, e: DemoEvaluation, riskPerSilo: readonly RiskFigures[]): { json: string; html: string; seconds: number } {
  const t0 = performance.now();
  const { tables, evaluation } = e;
  const report = buildReportJson({
    labels: codeLabels(tables.schema),
    title: "fedsynth demo: synthetic UCI Adult evaluated against the demo's full sample",
    evaluation,
    privacySpent: o.privacySpent,
    risk: { risk: null, riskPerSilo },
    wasserstein: continuousWasserstein(tables.schema, tables.values.real, tables.values.synthetic),
    parameters: {
      evaluatedAgainst: DEMO_EVALUATION_NOTE,
      ...(riskPerSilo.length ? { riskPerSilo: DEMO_RISK_NOTE } : {}),
      study: o.studyId,
      real: 'data/adult-raw.csv (bundled demo sample)',
      synthetic: 'synthetic.csv (this directory)',
      target: o.target,
      realRowsDroppedBySchema: tables.dropped.real,
      syntheticRowsDroppedBySchema: tables.dropped.synthetic,
    },
  });
  const files = writeReportFiles(o.outDir, report);
  return { ...files, seconds: e.seconds + (performance.now() - t0) / 1000 };
}
