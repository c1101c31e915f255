// runDemo: `fedsynth demo` — a local consortium of separate processes on bundled sample data: a CA
// and kits, a coordinator and three party-agent processes on 127.0.0.1 with mTLS, one study, and
// the outputs fetched into the output directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { schemaDomain } from '../../shared/schema/columnLayout.js';
import { domainHash } from '../../shared/study/domainHash.js';
import { Aggregation, StudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { mechanismToWire } from '../../platform/wire/studySpecWire.js';
import type { DpsgdTraining, MechanismName } from '../../shared/study/StudySpec.js';
import { initCa } from '../../platform/pki/CertificateAuthority.js';
import { issueKit } from '../../platform/pki/issueKit.js';
import { OperatorClient } from '../../coordinator/operator/OperatorClient.js';
import { OUTPUT_FILES } from '../../coordinator/delivery/StudyOutputs.js';
import type { Progress } from '../util/Progress.js';
import { splitRawCsv } from './splitRawCsv.js';
import { summarizeStatus } from '../commands/study.js';
import { evaluateDemo, loadDemoSample, readSiloRisk, writeDemoReport } from './writeDemoReport.js';
import { signDemoOutputs } from './signDemoOutputs.js';
import { waitForLocalReports } from './waitForLocalReports.js';
import { DemoPhases } from './DemoPhases.js';
import { verifyStudyOutputs } from '../../platform/delivery/verifyStudyOutputs.js';

export interface DemoOptions {
  out: string;
  epsilon: number;
  delta: number;
  mechanism: MechanismName;
  /** Mechanism dpsgd: the training terms (cli/commands/demo.ts defaults the rounds to DEMO_DPSGD_ROUNDS). */
  training?: DpsgdTraining;
  aggregation: 'masking' | 'he' | 'plain';
  rows?: number;
  keep: boolean;
  progress: Progress;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PARTIES = ['hospital-a', 'hospital-b', 'hospital-c'];
/** Share of each hospital's rows held back as its control sample (dataset.controlRows) for the risk evaluation. */
const DEMO_CONTROL_SHARE = 0.2;

export async function runDemo(o: DemoOptions): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const phases = new DemoPhases(t0);
  const work = mkdtempSync(join(tmpdir(), 'fedsynth-demo-'));
  const children: ChildProcess[] = [];
  let stopping: Promise<void> | undefined;
  const killAll = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  };
  // Agents first (so they do not log the coordinator going away), then the coordinator; once.
  const stopChildren = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const c of children.slice(1)) if (c.exitCode === null) c.kill('SIGTERM');
      await Promise.all(children.slice(1).map((c) => exited(c, 300)));
      for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
      await Promise.all(children.map(async (c) => {
        if (!(await exited(c, 5000))) c.kill('SIGKILL');
      }));
    })());
  process.once('exit', killAll);
  try {
    const dataFile = join(ROOT, 'data', 'adult-raw.csv');
    const schemaFile = join(ROOT, 'data', 'adult-raw.schema.json');
    for (const f of [dataFile, schemaFile]) if (!existsSync(f)) throw new FedsynthError(ErrorCode.NotFound, `bundled sample ${f} is missing`, { file: f });
    o.progress.update(0, `creating a consortium CA and startup kits in ${work}`);
    const ca = await initCa(join(work, 'ca'), { consortium: 'demo' });
    await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', out: join(work, 'kits', 'coordinator'), hosts: ['127.0.0.1', 'localhost'] });
    for (const p of PARTIES) await issueKit(ca, { role: 'party', id: p, coordinator: '127.0.0.1:7443', out: join(work, 'kits', p) });
    await issueKit(ca, { role: 'operator', id: 'operator', coordinator: '127.0.0.1:7443', out: join(work, 'kits', 'operator') });
    phases.end('pki');

    o.progress.update(0.01, 'splitting the bundled UCI Adult sample among 3 hospitals (label-skewed, non-IID)');
    const partyFiles = PARTIES.map((p) => join(work, 'silos', `${p}.csv`));
    mkdirSync(join(work, 'silos'), { recursive: true });
    const partyRows = splitRawCsv(dataFile, 'income', partyFiles, 'demo');
    const controlRows = partyRows.map((n) => Math.floor(n * DEMO_CONTROL_SHARE));
    phases.end('split');
    o.progress.update(0.015, `each hospital holds back ${DEMO_CONTROL_SHARE * 100}% of its rows as a control sample for the risk evaluation (${controlRows.join(', ')} rows; never used in training)`);

    // The coordinator and the three agents start together (each process spends most of its start
    // loading modules; the agents dial the coordinator's port, reserved here, and retry until it
    // listens).
    const port = await freeLoopbackPort();
    const address = `127.0.0.1:${port}`;
    o.progress.update(0.02, `starting the coordinator process and 3 party-agent processes (they dial out to ${address})`);
    const bin = join(ROOT, 'bin', 'fedsynth.js');
    const portFile = join(work, 'coordinator.port');
    mkdirSync(join(work, 'logs'), { recursive: true });
    const coord = spawn(process.execPath, [bin, 'coordinator', 'start', '--kit', join(work, 'kits', 'coordinator'), '--listen', address, '--data-dir', join(work, 'coordinator'), '--port-file', portFile, '--log', join(work, 'logs', 'coordinator.log'), '--approval-timeout', '60000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(coord);
    const coordErr = collect(coord);

    PARTIES.forEach((p, i) => {
      const cfg = {
        party: { id: p },
        coordinator: { address },
        kit: join(work, 'kits', p),
        // A fifth of each silo is held back as the control sample of the risk evaluation (never in a round).
        dataset: { id: `${p}-adult`, source: { kind: 'csv', path: partyFiles[i] }, schema: schemaFile, onInvalid: 'fail', controlRows: controlRows[i] },
        policy: { allowedColumns: '*', maxEpsilonPerStudy: Math.max(1, o.epsilon), maxDeltaPerStudy: 1e-6, lifetimeEpsilon: Math.max(10, o.epsilon), autoApprove: true, allowedMechanisms: ['mst', 'aim', 'dpsgd'], minParties: 2, allowPlainAggregation: o.aggregation === 'plain' },
        state: { dir: join(work, 'agents', p) },
      };
      const cfgFile = join(work, 'agents', `${p}.json`);
      mkdirSync(join(work, 'agents'), { recursive: true });
      writeFileSync(cfgFile, JSON.stringify(cfg, null, 2));
      const errFile = join(work, 'logs', `${p}.stderr`);
      const child = spawn(process.execPath, [bin, 'agent', 'start', '--config', cfgFile, '--log', join(work, 'logs', `${p}.log`)], { stdio: ['ignore', 'ignore', openSync(errFile, 'w')] });
      children.push(child);
      child.on('exit', (code) => {
        if (code !== 0 && code !== null && stopping === undefined) {
          const lines = readFileSync(errFile, 'utf8').trim().split('\n');
          o.progress.update(0, `agent ${p} exited (${code}): ${lines.find((l) => l.startsWith('fedsynth:')) ?? lines.pop()}`);
        }
      });
    });
    if ((await waitForPort(portFile, coord, coordErr, COORDINATOR_START_MS, (m) => o.progress.update(0.02, m))) !== port) throw new FedsynthError(ErrorCode.Internal, `coordinator did not listen on ${address}`);
    phases.end('processesUp');

    const client = OperatorClient.fromKit(join(work, 'kits', 'operator'), address);
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const online = (await client.listStudies().then(() => true).catch(() => false)) ? true : false;
        if (online) break;
        if (Date.now() > deadline) throw new FedsynthError(ErrorCode.SourceUnavailable, 'coordinator did not answer');
        await sleep(100);
      }
      const schemaRaw = JSON.parse(readFileSync(schemaFile, 'utf8')) as unknown;
      const schema = parseSchema(schemaRaw);
      const domain = Domain.fromJson(schemaDomain(schema));
      const rows = o.rows ?? partyRows.reduce((a, b) => a + b, 0);
      const spec: StudySpec = {
        ...StudySpec.fromPartial({}),
        title: 'fedsynth demo: UCI Adult across three hospitals',
        mechanism: mechanismToWire(o.mechanism),
        epsilon: o.epsilon,
        delta: o.delta,
        domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })),
        aggregation: o.aggregation === 'he' ? Aggregation.AGGREGATION_HE : o.aggregation === 'plain' ? Aggregation.AGGREGATION_PLAIN : Aggregation.AGGREGATION_MASKING,
        minParties: 2,
        colluders: 0,
        dropouts: 0,
        syntheticRows: rows,
        domainHash: domainHash(domain),
        maxSilosPerIndividual: 1,
        targetColumn: 'income',
        schemaJson: JSON.stringify(schemaRaw),
        training: o.training && { ...o.training, hidden: [...o.training.hidden] },
      };
      // Wait until the three agents are online (they validate their data first).
      let created;
      const onlineDeadline = Date.now() + 90_000;
      for (;;) {
        try {
          created = await client.createStudy({ spec, parties: PARTIES, seed: '', splitNote: 'label skew on income', roundTimeoutMs: 0 });
          break;
        } catch (e) {
          if (Date.now() > onlineDeadline) throw e;
          await sleep(100);
        }
      }
      const studyId = created.spec!.studyId;
      phases.end('agentsOnline');
      // The demo's own evaluation reads the full sample now, while the study runs on other processes.
      const sample = loadDemoSample(dataFile, schemaFile);
      // Phase ends as the status stream shows them: the last round done, then the fit done ('fitting': sampling and writing the outputs).
      let roundsEnd = Date.now();
      let lastRounds = -1;
      let fitEnd: number | undefined;
      // A dpsgd study's phase already names its gradient round and the epsilon spent so far.
      const final = await client.watchStudy(studyId, (s) => {
        if (s.roundsDone !== lastRounds) [lastRounds, roundsEnd] = [s.roundsDone, Date.now()];
        if (s.state === 'fitting' && fitEnd === undefined) fitEnd = Date.now();
        o.progress.update(
          0.05 + 0.9 * s.progress,
          o.mechanism === 'dpsgd' ? `${s.state}: ${s.phase}` : `${s.state}: ${s.phase} (rounds ${s.roundsDone}, epsilon spent ${s.epsilonSpent.toFixed(3)} of ${o.epsilon})`,
        );
      });
      phases.end('rounds', roundsEnd);
      phases.end('finalFit', fitEnd);
      phases.end('sampleAndOutputs');
      if (final.state !== 'done') {
        throw new FedsynthError((final.errorCode || ErrorCode.Internal) as ErrorCode, `demo study ${final.state}: ${final.errorMessage} (logs: ${join(work, 'logs')})`);
      }
      const out = resolve(o.out);
      mkdirSync(out, { recursive: true });
      await Promise.all(OUTPUT_FILES.map((f) => client.fetchOutput(studyId, f, out)));
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;
      // The outputs as fetched must match the coordinator's signed manifest (chained to the demo CA).
      const verified = verifyStudyOutputs(out, { caPem: readFileSync(join(work, 'ca', 'ca.crt'), 'utf8') });
      phases.end('fetchAndVerify');
      // The demo's own evaluation runs while each hospital evaluates against its own rows (the
      // agents started on delivery); then the demo waits for their local-only reports.
      o.progress.update(0.96, 'evaluating synthetic.csv against the demo\'s full sample (report.json, report.html) while each hospital evaluates it against its own rows');
      const privacy = run.privacy as { rho: number; epsilon: number; delta: number };
      const reportOptions = { outDir: out, sampleCsv: dataFile, schemaFile, target: 'income', privacySpent: { rho: privacy.rho, epsilon: privacy.epsilon, delta: privacy.delta }, studyId };
      const demoEvaluation = evaluateDemo(reportOptions, sample);
      phases.end('demoEvaluation');
      o.progress.update(0.98, 'waiting for the hospitals\' local-only evaluation reports (risk against their control rows)');
      const localReports = await waitForLocalReports(PARTIES.map((p) => join(work, 'agents', p)), studyId, 120_000);
      phases.end('localReports');
      // The processes are done: they stop while the demo writes its report.
      // (The operator connection first: an open client stream would hold the coordinator's shutdown.)
      client.close();
      const stopped = stopChildren();
      const report = writeDemoReport(reportOptions, demoEvaluation, readSiloRisk(localReports));
      phases.end('report');
      await stopped;
      phases.end('shutdown');
      const summary = {
        ...run,
        command: 'demo',
        consortium: { parties: PARTIES, partyRows, controlRows, controlShare: DEMO_CONTROL_SHARE, split: 'label skew on income (non-IID)', coordinator: address, workDir: o.keep ? work : undefined },
        status: summarizeStatus(final),
        verified: { signer: verified.signer, files: verified.files.map((f) => f.name) },
        report: { json: report.json, html: report.html, localOnlyAtParties: o.keep ? localReports : localReports.length },
        timings: { ...(run.timings as object), evaluationSeconds: report.seconds, phases: phases.toJSON(), totalSeconds: phases.elapsed() },
      };
      // run.json stays as the coordinator signed it (see manifest.json); the demo's own summary goes beside it.
      writeFileSync(join(out, 'demo.json'), JSON.stringify(summary, null, 2));
      // The bundle as the user gets it: one signed manifest over every file, and the CA certificate.
      signDemoOutputs(out, join(work, 'kits', 'coordinator'), join(work, 'ca', 'ca.crt'), [basename(report.json), basename(report.html), 'demo.json']);
      o.progress.done(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${rows} synthetic rows -> ${join(out, 'synthetic.csv')} (privacy spent: epsilon ${privacy.epsilon.toFixed(3)}, delta ${o.delta})`);
      return summary;
    } finally {
      client.close();
    }
  } finally {
    await stopChildren();
    process.removeListener('exit', killAll);
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
}

function collect(c: ChildProcess): () => string {
  let buf = '';
  c.stderr?.on('data', (d: Buffer) => {
    buf = (buf + d.toString()).slice(-8000);
  });
  return () => buf;
}

/**
 * How long the demo waits for a live coordinator process to listen. Generous: on a loaded machine
 * (load ~30 on 2 cores) a Node process took 22-26 s to start; a coordinator that exits fails at once.
 */
const COORDINATOR_START_MS = 180_000;

async function waitForPort(file: string, child: ChildProcess, err: () => string, timeoutMs: number, waiting: (message: string) => void): Promise<number> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let told = start;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new FedsynthError(ErrorCode.Internal, `coordinator exited (${child.exitCode}): ${err().trim()}`);
    if (existsSync(file)) {
      const port = Number(readFileSync(file, 'utf8').trim());
      if (port > 0) return port;
    }
    if (Date.now() - told >= 10_000) {
      told = Date.now();
      waiting(`still waiting for the coordinator process to listen (${Math.round((told - start) / 1000)} s; the machine is busy)`);
    }
    await sleep(50);
  }
  throw new FedsynthError(ErrorCode.SourceUnavailable, `coordinator process did not listen within ${timeoutMs / 1000} s`);
}

/** Whether `c` has exited (at once, or within `ms`). */
function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((r) => {
    const t = setTimeout(() => r(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      r(true);
    });
  });
}

/** A free port on 127.0.0.1 (bound and released; the coordinator binds it next). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => res(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
