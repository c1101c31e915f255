// writeReportFiles: writes an evaluation report as report.json and report.html into a directory
// (used by `fedsynth evaluate --report` and the demo).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationReport } from '../../shared/eval/buildReportJson.js';
import { renderReportHtml } from '../../shared/eval/renderReportHtml.js';

/** Creates `dir` if needed and writes both files; returns their paths. */
export function writeReportFiles(dir: string, report: EvaluationReport): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(html, renderReportHtml(report));
  return { json, html };
}
