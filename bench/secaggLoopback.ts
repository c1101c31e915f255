// secaggLoopback bench: one aggregation round END TO END over gRPC with mTLS on 127.0.0.1 — the
// coordinator's real round code (runPlainRound / runMaskingRound) and n real agent processes.
//
// The coordinator side is the real AgentGateway + coordinator/rounds, the agents are separate
// processes (bench/_secaggLoopbackAgent.ts) running the real MaskingParticipant and wire codecs, so
// party work runs in parallel as far as the machine's cores allow (`cores` in each record). Reports
// wall seconds from round start to sum, upload bytes per party, peak RSS, masking/plain ratio.
// Defaults: n = 10, m = 1e6, three rounds per mode, alternating (BENCH_LOOPBACK_N / _M / _REPS override).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Aggregation, AgentGatewayService, ComputeStage } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentGateway } from '../coordinator/gateway/AgentGateway.js';
import { runMaskingRound } from '../coordinator/rounds/MaskingRound.js';
import { runPlainRound } from '../coordinator/rounds/PlainRound.js';
import type { RoundOutcome, RoundPlan } from '../coordinator/rounds/RoundPlan.js';
import { initCa } from '../platform/pki/CertificateAuthority.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { peerIdentityFromCertificate } from '../platform/pki/peerIdentityFromCertificate.js';
import { silentLogger } from '../platform/logging/logging.js';
import { benchInput, type AgentRoundStats } from './_secaggLoopbackAgent.js';
import { computeStageFromWire } from '../platform/wire/computeStageWire.js';

type Mode = 'plain' | 'masking';
interface AgentReport {
  partyId: string;
  rounds: AgentRoundStats[];
  maxRssMiB: number;
}

function signingKeyOf(certificate: Uint8Array): Uint8Array | undefined {
  try {
    return peerIdentityFromCertificate(certificate).signingPublicKeyRaw;
  } catch {
    return undefined;
  }
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asks every agent for its per-round stats. */
function collect(children: ChildProcess[]): Promise<AgentReport[]> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<AgentReport>((resolve) => {
          c.once('message', (m) => resolve(m as AgentReport));
          c.send('stats');
        }),
    ),
  );
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const n = Number(process.env.BENCH_LOOPBACK_N ?? 10);
  const m = Number(process.env.BENCH_LOOPBACK_M ?? 1e6);
  const reps = Number(process.env.BENCH_LOOPBACK_REPS ?? 3);
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'fedsynth-loopback-'));
  const parties = Array.from({ length: n }, (_, i) => `party-${String(i + 1).padStart(2, '0')}`);
  const children: ChildProcess[] = [];
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 256 * 1024 * 1024, 'grpc.max_send_message_length': 256 * 1024 * 1024 });
  const gateway = new AgentGateway(silentLogger(), () => false, 60_000);
  try {
    const ca = await initCa(join(dir, 'ca'), { consortium: 'loopback-bench' });
    await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', out: join(dir, 'kits', 'coordinator'), hosts: ['127.0.0.1', 'localhost'] });
    for (const p of parties) await issueKit(ca, { role: 'party', id: p, coordinator: '127.0.0.1:7443', out: join(dir, 'kits', p) });
    const ck = loadKit(join(dir, 'kits', 'coordinator'));
    server.addService(AgentGatewayService, gateway.service);
    const creds = grpc.ServerCredentials.createSsl(ck.tls.ca, [{ cert_chain: ck.tls.cert, private_key: ck.tls.key }], true);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
    const agentJs = fileURLToPath(new URL('./_secaggLoopbackAgent.js', import.meta.url));
    parties.forEach((p, i) => {
      children.push(fork(agentJs, [join(dir, 'kits', p), join(dir, 'ca'), `127.0.0.1:${port}`, String(i)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    });
    await waitFor(() => gateway.onlineParties().length === n, `${n} agents online`);
    // The exact sum the round must return (the bench checks it, so a fast wrong answer cannot pass).
    const expected = new Float64Array(m);
    parties.forEach((_, i) => {
      const x = benchInput(i, m);
      for (let k = 0; k < m; k++) expected[k] += x[k];
    });
    const log = silentLogger();
    const walls: Record<Mode, number[]> = { plain: [], masking: [] };
    const order: Mode[] = [];
    for (let r = 0; r < reps; r++) order.push('plain', 'masking');
    for (const [k, mode] of order.entries()) {
      const roundId = `${mode}-${k}`;
      const compute = ComputeStage.fromPartial({
        rho: 1,
        perPartySigma2: 1,
        chargeKey: `bench/${roundId}`,
        label: 'bench',
        vectorLength: m,
        aggregation: mode === 'plain' ? Aggregation.AGGREGATION_PLAIN : Aggregation.AGGREGATION_MASKING,
        participants: parties,
        threshold: Math.ceil((2 * n) / 3),
        modulusBits: 32,
        hePublicKey: Buffer.alloc(0),
        neighbours: 0,
      });
      const plan: RoundPlan = { studyId: 'bench', roundId, roundIndex: k, participants: parties, compute: computeStageFromWire(compute), timeoutMs: 300_000 };
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const out: RoundOutcome = mode === 'plain' ? await runPlainRound(gateway, plan, log) : await runMaskingRound(gateway, plan, log, signingKeyOf);
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      let exact = out.survivors.length === n;
      for (let i = 0; exact && i < m; i++) exact = out.sum[i] === expected[i];
      if (!exact) throw new Error(`${mode} round ${roundId} did not return the exact sum (survivors ${out.survivors.length}/${n})`);
      walls[mode].push(wall);
      const reports = await collect(children);
      const mine = reports.map((a) => a.rounds.find((x) => x.roundId === roundId)!);
      emit({
        bench: 'secaggLoopback',
        transport: 'gRPC + mTLS on 127.0.0.1, agents in separate processes',
        cores,
        n,
        m,
        mode,
        round: k,
        wallSeconds: Number(wall.toFixed(3)),
        coordinatorCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
        partyCpuSecondsMax: Number(Math.max(...mine.map((x) => x.cpuSeconds)).toFixed(3)),
        bytesSentPerParty: Math.max(...mine.map((x) => x.bytesSent)),
        coordinatorPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        coordinatorRssGrowthMiB: Math.round((process.memoryUsage().rss - rss0) / 2 ** 20),
        agentPeakRssMiB: Math.max(...reports.map((a) => a.maxRssMiB)),
      });
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      const h = Math.floor(s.length / 2);
      return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
    };
    emit({
      bench: 'secaggLoopback',
      summary: true,
      cores,
      n,
      m,
      plainWallSeconds: walls.plain.map((x) => Number(x.toFixed(3))),
      maskingWallSeconds: walls.masking.map((x) => Number(x.toFixed(3))),
      maskingOverPlain: Number((median(walls.masking) / median(walls.plain)).toFixed(2)),
      note: `${n} agent processes and the coordinator share ${cores} cores, so party work that a deployment runs on n machines is serialised here about n/cores-fold`,
    });
  } finally {
    for (const c of children) if (c.exitCode === null) c.send('exit');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    gateway.closeAll();
    server.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}
