// writeReportFiles: writes an evaluation report, or a model comparison, as report.json and report.html
// into a directory (used by `fedsynth evaluate --report`, the demo and `simulate --mechanism a,b`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationReport } from '../../shared/eval/EvaluationReport.js';
import { renderReportHtml } from '../../shared/eval/renderReportHtml.js';
import { COMPARISON_REPORT_FORMAT, type ComparisonReport } from '../../shared/eval/ComparisonReport.js';
import { renderComparisonHtml } from '../../shared/eval/renderComparisonHtml.js';

/** Creates `dir` if needed and writes both files; returns their paths. */
export function writeReportFiles(dir: string, report: EvaluationReport | ComparisonReport): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(html, 'format' in report && report.format === COMPARISON_REPORT_FORMAT ? renderComparisonHtml(report) : renderReportHtml(report as EvaluationReport));
  return { json, html };
}
