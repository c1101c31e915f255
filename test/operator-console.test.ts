// The operator console in headless Debian Chromium: a coordinator (LocalConsortium, mTLS on 127.0.0.1)
// runs a study; Chromium loads the console through a test-only loopback proxy holding an operator
// certificate and must see the study, its rounds, the parties online and the audit trail; requests
// without a certificate (Chromium, Node) get 401, a party's or the coordinator's certificate 403; /metrics counts rounds.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { domainHash } from '../shared/study/domainHash.js';
import { silentLogger } from '../platform/logging/logging.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { openAuditHook, type AuditHook } from '../platform/audit/auditHook.js';
import { LocalConsortium } from '../simulation/LocalConsortium.js';
import { runMain } from './support/captureCli.js';
import { OperatorClient } from '../coordinator/operator/OperatorClient.js';
import type { ConsortiumReport } from '../coordinator/delivery/ConsortiumReport.js';
import { Aggregation, Mechanism, type StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';

const CHROMIUM = '/usr/bin/chromium'; // installed by scripts/ensure-chromium.sh
const root = mkdtempSync(join(tmpdir(), 'fedsynth-console-'));
const domain = new Domain(['a', 'b', 'c'], [6, 4, 3]);
let consortium: LocalConsortium;
let audit: AuditHook;
let proxy: Server;
let proxyUrl = '';
let consolePort = 0;
let studyId = '';
let roundsDone = 0;

function silo(i: number): EncodedTable {
  const rng = seededRandomSource('operator-console', `silo/${i}`);
  const rows = ['a,b,c'];
  for (let r = 0; r < 200; r++) rows.push(`${uniformInt(rng, 6)},${uniformInt(rng, 4)},${uniformInt(rng, 3)}`);
  return EncodedTable.fromCsv(rows.join('\n') + '\n', domain);
}

interface Tls {
  cert?: Buffer;
  key?: Buffer;
}

/** GET over HTTPS to the console, trusting the consortium CA, with an optional client certificate. */
function get(path: string, tls: Tls): Promise<{ status: number; body: string }> {
  const ca = loadKit(join(root, 'kits', 'coordinator')).tls.ca;
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: consolePort, path, servername: 'localhost', ca, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Headless Chromium's DOM of `url` (asynchronous: the console and the proxy live in this process). */
async function dumpDom(url: string, extra: string[] = []): Promise<string> {
  const profile = mkdtempSync(join(root, 'chromium-'));
  const { stdout } = await promisify(execFile)(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...extra, '--dump-dom', url],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

beforeAll(async () => {
  audit = openAuditHook(join(root, 'coordinator', 'audit.log'), 'coordinator');
  consortium = new LocalConsortium({
    domain,
    sources: [0, 1, 2].map((i) => new InMemoryMarginalSource(silo(i))),
    log: silentLogger(),
    seed: 'operator-console',
    workDir: root,
    // Plain aggregation charges each party for what the coordinator sees (3 x epsilon 1 here, issue 16): cap 3.
    policy: { allowedColumns: '*', maxEpsilonPerStudy: 3, maxDeltaPerStudy: 1e-6, allowedMechanisms: ['mst', 'aim'], minParties: 1, autoApprove: true, allowPlainAggregation: true },
    coordinator: { console: { listen: '127.0.0.1:0' }, audit },
    agentMetrics: true,
  });
  await consortium.start();
  consolePort = consortium.coordinator.console!.port;
  const created = await new Promise<StudyStatus>((resolve, reject) =>
    consortium.operator.createStudy(
      {
        spec: {
          studyId: '', title: 'console test', mechanism: Mechanism.MECHANISM_MST, epsilon: 1, delta: 1e-6, rho: 0, columns: [],
          domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })), aggregation: Aggregation.AGGREGATION_PLAIN,
          minParties: 3, colluders: 0, dropouts: 0, syntheticRows: 100, domainHash: domainHash(domain), maxSilosPerIndividual: 1,
          targetColumn: '', schemaJson: '', neighbours: 0, training: undefined, evaluationRho: 0,
        },
        parties: consortium.partyIds,
        seed: 'operator-console',
        splitNote: '',
        roundTimeoutMs: 0,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
  studyId = created.spec!.studyId;
  await consortium.coordinator.waitForStudy(studyId);
  const rec = consortium.coordinator.store.getStudy(studyId);
  expect(rec.state, `${rec.errorCode}: ${rec.errorMessage}`).toBe('done');
  roundsDone = consortium.coordinator.store.roundsDone(studyId);
  // The test-only loopback proxy: plain HTTP on 127.0.0.1 in front of the console, holding the
  // operator's certificate (pki issue --role operator).
  const kit = loadKit(join(root, 'kits', 'operator'));
  proxy = createHttpServer((req, res) => {
    void get(req.url ?? '/', { cert: kit.tls.cert, key: kit.tls.key }).then(
      (r) => res.writeHead(r.status, { 'content-type': r.body.startsWith('<!doctype') ? 'text/html; charset=utf-8' : 'text/plain' }).end(r.body),
      (e: Error) => res.writeHead(502).end(e.message),
    );
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await consortium?.stop();
  audit?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('operator console', () => {
  it('refuses a request without a client certificate (401) and a party or coordinator certificate (403)', async () => {
    const none = await get('/', {});
    expect(none.status).toBe(401);
    expect(none.body).toContain('client certificate');
    expect(none.body).not.toContain(studyId);
    const party = loadKit(join(root, 'kits', 'party-01'));
    const refused = await get('/', { cert: party.tls.cert, key: party.tls.key });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('role &#39;party&#39; may not read the operator console');
    const metrics = await get('/metrics', { cert: party.tls.cert, key: party.tls.key });
    expect(metrics.status).toBe(403);
    const coordinator = loadKit(join(root, 'kits', 'coordinator'));
    const own = await get('/', { cert: coordinator.tls.cert, key: coordinator.tls.key });
    expect(own.status).toBe(403);
    expect(own.body).toContain('role &#39;coordinator&#39; may not read the operator console');
  });

  it('serves Prometheus text: rounds, durations, query bytes, dropouts, refusals, parties online', async () => {
    const kit = loadKit(join(root, 'kits', 'operator'));
    const m = await get('/metrics', { cert: kit.tls.cert, key: kit.tls.key });
    expect(m.status).toBe(200);
    expect(roundsDone).toBeGreaterThan(0);
    expect(m.body).toContain(`fedsynth_rounds_total{aggregation="plain",outcome="ok"} ${roundsDone}`);
    expect(m.body).toContain(`fedsynth_round_duration_seconds_count{aggregation="plain"} ${roundsDone}`);
    expect(m.body).toMatch(/fedsynth_round_query_bytes_total\{aggregation="plain"\} [1-9]/);
    expect(m.body).toContain('fedsynth_round_dropouts_total{aggregation="plain"} 0');
    expect(m.body).toMatch(/fedsynth_refusals_total\{kind="console"\} [1-9]/); // the refusals of the test above
    expect(m.body).toContain('fedsynth_parties_online 3');
    expect(m.body).toContain('fedsynth_studies{state="done"} 1');
    // Each agent answered every round (its own registry, the one `metrics.listen` would serve).
    for (const a of consortium.agentMetrics) expect(await a.registry.metrics()).toContain(`fedsynth_agent_rounds_total{aggregation="plain"} ${roundsDone}`);
    expect(consortium.agentMetrics.length).toBe(3);
  });

  it('study status --watch: text on stderr only; with --json exactly one JSON line on stdout', async () => {
    const args = ['study', 'status', studyId, '--watch', '--kit', join(root, 'kits', 'operator'), '--coordinator', `127.0.0.1:${consortium.coordinator.port}`];
    const text = await runMain(args);
    expect(text.code).toBe(0);
    expect(text.out).toBe('');
    expect(text.err).toContain(`study ${studyId}: done`);
    const json = await runMain([...args, '--json']);
    expect(json.code).toBe(0);
    const lines = json.out.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ studyId, state: 'done' });
  });

  it('study status counts the parties that confirmed the outputs (done is not delivered)', async () => {
    const client = OperatorClient.fromKit(join(root, 'kits', 'operator'), `127.0.0.1:${consortium.coordinator.port}`);
    try {
      const deadline = Date.now() + 30_000;
      let st = await client.getStudy(studyId);
      while (st.partiesDelivered < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        st = await client.getStudy(studyId);
      }
      expect([st.partiesDelivered, st.partiesToDeliver]).toEqual([3, 3]);
      expect(st.parties.every((p) => p.outputsDelivered)).toBe(true);
    } finally {
      client.close();
    }
    const r = await runMain(['study', 'status', studyId, '--kit', join(root, 'kits', 'operator'), '--coordinator', `127.0.0.1:${consortium.coordinator.port}`]);
    const out = JSON.parse(r.out) as Record<string, unknown>;
    expect(out.delivery).toBe('outputs delivered to 3/3 parties (confirmed by hash)');
    expect(out.notReleased).toBeUndefined(); // every round released
    // a party's missing confirmation is counted as such
    const store = consortium.coordinator.store;
    const p0 = consortium.partyIds[0]!;
    expect(store.partiesHolding(studyId, ['manifest.json', 'never-sent.bin']).has(p0)).toBe(false);
  });

  it("study fetch returns the outputs and the operator's report (report.json, report.html) with fidelity to the noisy measurements", async () => {
    const out = join(root, 'fetched');
    const r = await runMain(['study', 'fetch', studyId, '--out', out, '--kit', join(root, 'kits', 'operator'), '--coordinator', `127.0.0.1:${consortium.coordinator.port}`]);
    expect(r.code, r.err).toBe(0);
    const files = (JSON.parse(r.out) as { files: string[] }).files.map((f) => f.slice(out.length + 1));
    expect(files).toEqual(['synthetic.csv', 'synthetic.parquet', 'model.json', 'run.json', 'manifest.json', 'report.json', 'report.html', 'report-manifest.json', 'ca.crt']);
    // the report is signed like the outputs, and the kit's CA certificate (not its key) ships beside them
    expect(readFileSync(join(out, 'ca.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(readFileSync(join(out, 'ca.crt'), 'utf8')).not.toContain('PRIVATE KEY');
    const verified = await runMain(['verify', out, '--require-report', '--json']);
    expect(verified.code, verified.err).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ ok: true, studyId, signer: 'coordinator', chainChecked: true, caSource: 'directory', unlisted: [], report: { signer: 'coordinator' } });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ConsortiumReport;
    expect(report).toMatchObject({ format: 'fedsynth-consortium-report/v1', studyId, syntheticRows: 100, rounds: { asked: roundsDone, released: roundsDone, notReleased: [] } });
    expect(report.parties.map((p) => p.rhoChargedNotReleased)).toEqual([0, 0, 0]);
    // every marginal the mechanism measured on the study's columns is scored, with its noise floor
    const f = report.fidelityToMeasurements;
    expect(f.marginals.length).toBeGreaterThan(0);
    for (const m of f.marginals) {
      expect(m.tv).toBeGreaterThanOrEqual(0);
      expect(m.tv).toBeLessThanOrEqual(1);
      expect(m.noiseFloorTv).toBeGreaterThan(0);
    }
    expect(f.byWay.reduce((n, w) => n + w.count, 0)).toBe(f.marginals.length);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const id of ['study', 'parties', 'by-way', 'marginals']) expect(html).toContain(`<table id="${id}">`);
    expect(html).not.toMatch(/<script|https?:\/\//);
    // the report is the operator's: the parties' outputs do not include it (each writes its own local one)
    expect(consortium.coordinator.store.deliveryAcks(studyId, consortium.partyIds[0]!).map((a) => a.fileName)).not.toContain('report.json');
    // one byte of the fetched report.html changed: verify fails with the stable code and names the file (planted)
    const bytes = readFileSync(join(out, 'report.html'));
    bytes[bytes.length >> 1] ^= 0x20;
    writeFileSync(join(out, 'report.html'), bytes);
    const tampered = await runMain(['verify', out]);
    expect(tampered.code).toBe(65);
    expect(tampered.err).toMatch(/^fedsynth: VERIFICATION_FAILED: report\.html: SHA-256 mismatch/);
  });

  describe.skipIf(!existsSync(CHROMIUM))('in headless Chromium', () => {
    it('shows the studies, one study with its rounds and parties, the parties online and the audit trail', async () => {
      const home = await dumpDom(`${proxyUrl}/`);
      expect(home).toContain('<table id="studies">');
      expect(home).toContain(studyId);
      expect(home).toMatch(/<td[^>]*>done<\/td>/);
      const study = await dumpDom(`${proxyUrl}/studies/${studyId}`);
      const table = (id: string) => study.slice(study.indexOf(`<table id="${id}">`), study.indexOf('</table>', study.indexOf(`<table id="${id}">`)));
      expect((table('rounds').match(/<tr><td>\d+<\/td>/g) ?? []).length).toBe(roundsDone); // one row per journaled round
      // every round asked was released (none charged a party without a release), and the deliveries are counted
      expect((table('round-accounts').match(/<tr><td>\d+<\/td>/g) ?? []).length).toBe(roundsDone);
      expect((table('round-accounts').match(/<td class="">released<\/td>/g) ?? []).length).toBe(roundsDone);
      expect(study).toMatch(/<td id="delivery">outputs confirmed by \d\/3 approved parties<\/td>/);
      for (const p of consortium.partyIds) expect(study).toMatch(new RegExp(`<td>${p}</td><td>online</td><td>approved[:<]`));
      expect(study).toContain('manifest.json');
      const parties = await dumpDom(`${proxyUrl}/parties`);
      expect((parties.match(/<td>online<\/td>/g) ?? []).length).toBe(3);
      const trail = await dumpDom(`${proxyUrl}/audit?study=${studyId}`);
      expect(trail).toContain('study.approved');
      expect(trail).toContain('study.done');
    }, 180_000);

    it('shows Chromium without a client certificate the refusal, not the studies', async () => {
      const dom = await dumpDom(`https://127.0.0.1:${consolePort}/`, ['--ignore-certificate-errors']);
      expect(dom).toContain('Certificate required');
      expect(dom).not.toContain(studyId);
    }, 90_000);
  });
});
