// Integration test of `fedsynth demo` (issue 19): each hospital holds back a control sample, so its
// local-only report.json carries numeric risk figures (privacy.risk), copied into the demo's report.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliJson } from './support/runCli.js';

interface Interval {
  risk: number;
  ci: [number, number];
}
interface SiloRisk {
  scope: string;
  party: string;
  trainRows: number;
  controlRows: number;
  singlingOut: Interval;
  linkability: Interval;
  inference: Interval;
  mia: { auc: number };
  exactMatch: { rate: number; controlRate: number };
  dcr: { rate: number; controlRate: number };
}
interface DemoSummary {
  consortium: { parties: string[]; partyRows: number[]; controlRows: number[]; controlShare: number; workDir: string };
  report: { json: string; localOnlyAtParties: string[] };
}

const out = mkdtempSync(join(tmpdir(), 'fedsynth-demo-risk-'));
let demo: DemoSummary;

beforeAll(async () => {
  // MST and 2,000 synthetic rows keep the run short; --keep leaves the hospitals' local reports readable.
  await runCliJson(['demo', '--out', out, '--mechanism', 'mst', '--rows', '2000', '--keep', '--quiet'], 570_000);
  demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as DemoSummary;
}, 600_000);

afterAll(() => {
  if (demo?.consortium.workDir) rmSync(demo.consortium.workDir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

const isFiniteIn01 = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;

describe('fedsynth demo: risk figures at each hospital', () => {
  it('states the control sample each hospital holds back (a fifth of its rows)', () => {
    expect(demo.consortium.controlShare).toBe(0.2);
    expect(demo.consortium.controlRows).toEqual(demo.consortium.partyRows.map((n) => Math.floor(n * 0.2)));
  });

  it("writes numeric privacy.risk (with intervals, DCR and MIA AUC) into every hospital's local report.json", () => {
    expect(demo.report.localOnlyAtParties).toHaveLength(3);
    demo.report.localOnlyAtParties.forEach((html, i) => {
      const json = html.replace(/report\.html$/, 'report.json');
      expect(existsSync(json), json).toBe(true);
      const risk = (JSON.parse(readFileSync(json, 'utf8')) as { privacy?: { risk?: SiloRisk | null } }).privacy?.risk;
      expect(risk, `privacy.risk of ${json}`).toBeTruthy();
      const r = risk!;
      expect(r.scope).toBe('silo');
      expect(r.party).toBe(demo.consortium.parties[i]);
      expect(r.controlRows).toBe(demo.consortium.controlRows[i]);
      expect(r.trainRows).toBe(demo.consortium.partyRows[i] - demo.consortium.controlRows[i]);
      for (const k of ['singlingOut', 'linkability', 'inference'] as const) {
        expect(isFiniteIn01(r[k].risk), `${k}.risk`).toBe(true);
        expect(r[k].ci[0]).toBeLessThanOrEqual(r[k].risk);
        expect(r[k].ci[1]).toBeGreaterThanOrEqual(r[k].risk);
      }
      for (const x of [r.mia.auc, r.exactMatch.rate, r.exactMatch.controlRate, r.dcr.rate, r.dcr.controlRate]) expect(isFiniteIn01(x)).toBe(true);
      // The local report.html shows the figures, not n/a.
      const page = readFileSync(html, 'utf8');
      expect(page).toContain('Membership inference');
      expect(page).toContain(`${demo.consortium.controlRows[i]} control rows`);
    });
  });

  it("copies the three hospitals' figures into the demo's report.json (privacy.riskPerSilo)", () => {
    const report = JSON.parse(readFileSync(demo.report.json, 'utf8')) as { privacy: { riskPerSilo: SiloRisk[] } };
    expect(report.privacy.riskPerSilo.map((r) => r.party)).toEqual(demo.consortium.parties);
  });

  // Issue 20 item 9, end to end on the real demo (cli/demo/signDemoOutputs.test.ts covers the signer alone).
  it('the bundle verifies as a user gets it: one signed manifest covers the outputs, report.json, report.html and demo.json, against the shipped CA certificate', async () => {
    const ok = await runCli(['verify', out, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const r = JSON.parse(ok.stdout) as { chainChecked: boolean; caSource: string; unlisted: string[]; files: { name: string }[] };
    expect(r).toMatchObject({ chainChecked: true, caSource: 'directory', unlisted: [] });
    expect(r.files.map((f) => f.name)).toEqual(expect.arrayContaining(['synthetic.csv', 'model.json', 'run.json', 'report.json', 'report.html', 'demo.json']));
    expect(readFileSync(join(out, 'ca.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(readFileSync(join(out, 'ca.crt'), 'utf8')).not.toContain('PRIVATE KEY');
    // one byte of a copy's report.html changed: verify fails with the stable code, naming the file (planted)
    const copy = mkdtempSync(join(tmpdir(), 'fedsynth-demo-tamper-'));
    try {
      cpSync(out, copy, { recursive: true });
      const html = readFileSync(join(copy, 'report.html'));
      html[html.length >> 1] ^= 0x20;
      writeFileSync(join(copy, 'report.html'), html);
      const bad = await runCli(['verify', copy]);
      expect(bad.code).toBe(65);
      expect(bad.stderr).toMatch(/^fedsynth: VERIFICATION_FAILED: report\.html: SHA-256 mismatch/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
