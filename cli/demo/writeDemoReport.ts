// writeDemoReport: the demo's evaluation report (report.json, report.html in --out): the fetched
// synthetic.csv scored against the demo's full bundled sample, which the demo operator owns.
import { join } from 'node:path';
import { evaluateParty } from '../../shared/eval/evaluateParty.js';
import { buildReportJson, type PrivacySpent } from '../../shared/eval/buildReportJson.js';
import { loadRawTables } from '../evaluation/loadRawTables.js';
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

/** Evaluates and writes the report; returns the file paths and the seconds spent. */
export function writeDemoReport(o: DemoReportOptions): { json: string; html: string; seconds: number } {
  const t0 = performance.now();
  const tables = loadRawTables(o.schemaFile, { real: o.sampleCsv, synthetic: join(o.outDir, 'synthetic.csv') });
  const categorical = tables.schema.columns.map((c) => c.type === 'categorical');
  const evaluation = evaluateParty({ train: tables.real, synth: tables.synthetic, target: o.target, maxWay: 3, seed: `demo/${o.studyId}`, categorical });
  const report = buildReportJson({
    labels: codeLabels(tables.schema),
    title: "fedsynth demo: synthetic UCI Adult evaluated against the demo's full sample",
    evaluation,
    privacySpent: o.privacySpent,
    parameters: {
      evaluatedAgainst: DEMO_EVALUATION_NOTE,
      study: o.studyId,
      real: 'data/adult-raw.csv (bundled demo sample)',
      synthetic: 'synthetic.csv (this directory)',
      target: o.target,
      realRowsDroppedBySchema: tables.dropped.real,
      syntheticRowsDroppedBySchema: tables.dropped.synthetic,
    },
  });
  const files = writeReportFiles(o.outDir, report);
  return { ...files, seconds: (performance.now() - t0) / 1000 };
}
