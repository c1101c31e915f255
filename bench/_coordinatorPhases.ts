// bench/_coordinatorPhases: the real coordinator's study path (StudyRunner: rounds, the mechanism in
// its worker thread, sampling, synthetic.csv, Parquet, outputs, report, delivery) on a bench/width
// recording, with the process's peak RSS per phase; the rounds are answered from the recording.
//
//   node dist/bench/_coordinatorPhases.js REC ROWS [OUT]
//
// REC: a recording kept by `BENCH_WIDTH_KEEP=1 ... node dist/bench/width.js` (meta.json, q_K.bin,
// r_K.bin); ROWS: the study's synthetic rows; OUT: where the study's outputs go (default a temp dir,
// removed). Each round's query must be the recorded one byte for byte (else the replay diverged).
// AFTER_FIT_FRAME_MS: each delivery frame's delay (default 20), as bench/_afterFit.
//
// Prints one JSON line per phase (peak RSS from VmHWM reset at each phase change through
// /proc/self/clear_refs, CPU seconds of the process at its end) and a last line with the whole run.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { CoordinatorStore } from '../coordinator/store/CoordinatorStore.js';
import { StudyRunner } from '../coordinator/study/StudyRunner.js';
import { AgentSession } from '../coordinator/gateway/AgentSession.js';
import type { AgentGateway } from '../coordinator/gateway/AgentGateway.js';
import type { RoundOutcome, RoundPlan } from '../coordinator/rounds/RoundPlan.js';
import { OUTPUT_FILES } from '../coordinator/delivery/StudyOutputs.js';
import { CoordinatorMessage, type AgentMessage } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { studySpecToJson } from '../platform/wire/studySpecWire.js';
import { FedsynthError, ErrorCode } from '../shared/errors/FedsynthError.js';
import type { StudySpec } from '../shared/study/StudySpec.js';
import type { ReplayMeta } from './_widthReplay.js';
import { codeSchema } from './_widthProcesses.js';
import { cpuSeconds, procStatus, resetPeak } from './_procMemory.js';

const STUDY = 'bench';

/** Answers round K with the recorded sum r_K.bin, refusing a query other than the recorded q_K.bin. */
function recordedRounds(rec: string, meta: ReplayMeta): (plan: RoundPlan) => Promise<RoundOutcome> {
  return async (plan) => {
    const k = plan.roundIndex;
    const r = meta.releases[k];
    if (r === undefined || !Buffer.from(plan.compute.query).equals(readFileSync(join(rec, `q_${k}.bin`)))) {
      throw new FedsynthError(ErrorCode.InvalidArgument, `replay diverged at round ${k} (${plan.compute.label})`);
    }
    const raw = readFileSync(join(rec, `r_${k}.bin`));
    const sum = new Float64Array(r.length);
    new Uint8Array(sum.buffer).set(raw);
    return { sum, survivors: [...plan.participants], dropped: [], refusals: [] };
  };
}

/**
 * A party's stream as grpc-js builds it (object mode, 16-message buffer; each write serialized and
 * called back `delayMs` later); a file's last frame is acknowledged in the store as the agent would.
 */
function partyStream(store: CoordinatorStore, party: string, delayMs: number): grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage> {
  const w = new Writable({
    objectMode: true,
    write(msg: CoordinatorMessage, _enc, cb) {
      const bytes = CoordinatorMessage.encode(msg).finish();
      const p = msg.body;
      if (p?.$case === 'delivery' && p.value.last) store.recordDeliveryAck(p.value.studyId, party, p.value.fileName, p.value.sha256);
      setTimeout(() => cb(bytes.length > 0 ? null : new Error('empty')), delayMs);
    },
  });
  return w as unknown as grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>;
}

async function main(): Promise<void> {
  const [rec, rowsArg, outArg] = process.argv.slice(2);
  if (!rec || !rowsArg) {
    process.stderr.write('usage: _coordinatorPhases REC ROWS [OUT]\n');
    process.exit(2);
  }
  const meta = JSON.parse(readFileSync(join(rec, 'meta.json'), 'utf8')) as ReplayMeta;
  if (meta.mechanism !== 'aim' && meta.mechanism !== 'mst') throw new FedsynthError(ErrorCode.InvalidArgument, `unknown mechanism ${String(meta.mechanism)}`);
  if (meta.maxModelSizeMB !== undefined) throw new FedsynthError(ErrorCode.InvalidArgument, 'a recording with BENCH_WIDTH_MODEL_MB cannot run through the coordinator (its model bound is AIM\'s default)');
  const rows = Number(rowsArg);
  const work = outArg ?? mkdtempSync(join(tmpdir(), 'fedsynth-coordinator-phases-'));
  const parties = ['party-1', 'party-2', 'party-3', 'party-4', 'party-5'];
  const spec: StudySpec = {
    studyId: STUDY,
    title: 'coordinator phases',
    mechanism: meta.mechanism,
    epsilon: 1,
    delta: 1e-9,
    rho: meta.rho,
    columns: [...meta.attrs],
    domain: meta.attrs.map((name, i) => ({ name, size: meta.shape[i] })),
    aggregation: 'masking',
    minParties: 1,
    colluders: 0,
    dropouts: 0,
    syntheticRows: rows,
    domainHash: '',
    maxSilosPerIndividual: 1,
    targetColumn: '',
    schemaJson: JSON.stringify(codeSchema(meta.attrs, meta.shape)),
    neighbours: 0,
  };
  mkdirSync(work, { recursive: true });
  const store = new CoordinatorStore(join(work, 'coordinator.db'));
  store.createStudy({ id: STUDY, specJson: JSON.stringify(studySpecToJson(spec)), seed: meta.seed, parties });
  for (const p of parties) store.setDecision(STUDY, p, true, '');
  store.setState(STUDY, 'approved', { phase: 'approved' });
  const delayMs = Number(process.env.AFTER_FIT_FRAME_MS ?? '20');
  const sessions = new Map(parties.map((p) => [p, new AgentSession(p, new Uint8Array(), partyStream(store, p, delayMs))]));
  const gateway = { session: (p: string) => sessions.get(p), onlineParties: () => [...parties] } as unknown as AgentGateway;
  const outputs = join(work, 'outputs');
  const runner = new StudyRunner({
    store,
    gateway,
    log: pino({ level: 'silent' }),
    outputsDir: outputs,
    roundTimeoutMs: 120_000,
    approvalTimeoutMs: 1_000,
    audit: () => undefined,
    roundModes: { masking: recordedRounds(rec, meta) },
  });
  const dir = join(outputs, STUDY);
  const delivered = () => parties.every((p) => OUTPUT_FILES.every((f) => store.deliveryAcks(STUDY, p).some((a) => a.fileName === f)));
  // The phase from the study's state and its output files (checked every 20 ms of the main thread).
  const phaseNow = (): string => {
    const s = store.getStudy(STUDY).state;
    if (s === 'approved' || s === 'running') return 'rounds';
    if (s === 'fitting') {
      if (!existsSync(join(dir, 'synthetic.csv'))) return 'fit+sample+csv';
      if (!existsSync(join(dir, 'model.json'))) return 'parquet';
      return 'outputs+report';
    }
    if (s === 'delivering' || s === 'done') return delivered() ? 'after' : 'delivery';
    return s;
  };
  const t0 = Date.now();
  const cpu0 = cpuSeconds();
  const phases: { phase: string; peakMB: number; endRssMB: number; mainHeapMB: number; mainArrayBuffersMB: number; cpuSeconds: number; wallSeconds: number }[] = [];
  let current = phaseNow();
  let startWall = Date.now();
  let startCpu = cpu0;
  const close = (next: string): void => {
    const st = procStatus();
    const m = process.memoryUsage();
    const mb = (x: number) => Math.round(x / 2 ** 20);
    phases.push({
      phase: current,
      peakMB: st.hwmMB,
      endRssMB: st.rssMB,
      // The main thread's V8 heap and its ArrayBuffers at the phase's end (the mechanism worker's are not in them).
      mainHeapMB: mb(m.heapTotal),
      mainArrayBuffersMB: mb(m.arrayBuffers),
      cpuSeconds: Math.round((cpuSeconds() - startCpu) * 10) / 10,
      wallSeconds: Math.round((Date.now() - startWall) / 100) / 10,
    });
    process.stdout.write(JSON.stringify(phases[phases.length - 1]) + '\n');
    resetPeak();
    current = next;
    startWall = Date.now();
    startCpu = cpuSeconds();
  };
  process.stdout.write(JSON.stringify({ start: true, rows, ...procStatus() }) + '\n');
  resetPeak();
  const poll = setInterval(() => {
    const p = phaseNow();
    if (p !== current) close(p);
  }, 20);
  await runner.run(STUDY);
  while (!delivered()) await new Promise((r) => setTimeout(r, 20));
  clearInterval(poll);
  close('end');
  const st = store.getStudy(STUDY);
  process.stdout.write(
    JSON.stringify({
      state: st.state,
      ...(st.errorMessage ? { error: st.errorMessage } : {}),
      rows,
      peakMB: Math.max(...phases.map((p) => p.peakMB), procStatus().hwmMB),
      cpuSeconds: cpuSeconds(),
      wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
      csvMB: existsSync(join(dir, 'synthetic.csv')) ? Math.round(statSync(join(dir, 'synthetic.csv')).size / 1e6) : 0,
    }) + '\n',
  );
  store.close();
  if (!outArg) rmSync(work, { recursive: true, force: true });
}

await main();
