// StudyRunner: drives one study through its lifecycle on the coordinator — approval, rounds via
// the ConsortiumOracle, fitting and sampling, writing and delivering the outputs — resuming from
// the last committed step after a restart.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { epsilonFromRho } from '../../shared/dp/accounting/cdpConversion.js';
import { isTerminal } from '../../shared/study/StudyLifecycle.js';
import { VERSION } from '../../shared/version.js';
import { Aggregation, Mechanism, StudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import { ConsortiumOracle } from './ConsortiumOracle.js';
import { runMechanismInWorker } from './MechanismThread.js';
import { runPlainRound } from '../rounds/PlainRound.js';
import { runMaskingRound } from '../rounds/MaskingRound.js';
import { runHeRound } from '../rounds/HeRound.js';
import type { CustodianGateway } from '../custodian/CustodianGateway.js';
import { peerIdentityFromCertificate } from '../../platform/pki/peerIdentityFromCertificate.js';
import type { RoundOutcome, RoundPlan } from '../rounds/RoundPlan.js';
import { encodeCsv } from '../../shared/data/encodeCsv.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { decodeCsv } from '../../shared/schema/decodeRows.js';
import { writeSignedManifest, type OutputSigner } from '../delivery/SignedManifest.js';
import { writeParquet } from '../delivery/ParquetWriter.js';

export interface StudyRunnerDeps {
  store: CoordinatorStore;
  gateway: AgentGateway;
  log: Logger;
  outputsDir: string;
  roundTimeoutMs: number;
  approvalTimeoutMs: number;
  audit: (event: string, details: Record<string, unknown>) => void;
  /** The key custodian's stream (he mode); without it he studies fail with SourceUnavailable. */
  custodian?: CustodianGateway;
  /** Extra round modes (masking, he) plug in here; plain is built in. */
  roundModes?: Partial<Record<Aggregation, (plan: RoundPlan) => Promise<RoundOutcome>>>;
  /** Signs manifest.json (the coordinator's kit key); without it the manifest is unsigned. */
  signer?: OutputSigner;
}

export const OUTPUT_FILES = ['synthetic.csv', 'synthetic.parquet', 'model.json', 'run.json', 'manifest.json'] as const;

export class StudyRunner {
  constructor(private readonly d: StudyRunnerDeps) {}

  specOf(studyId: string): StudySpec {
    return StudySpec.fromJSON(JSON.parse(this.d.store.getStudy(studyId).specJson));
  }

  private checkCancelled(studyId: string): void {
    const s = this.d.store.getStudy(studyId);
    if (s.state === 'cancelled') throw new FedsynthError(ErrorCode.Cancelled, `study ${studyId} was cancelled`, { studyId });
  }

  private approvedParties(studyId: string): string[] {
    return this.d.store.parties(studyId).filter((p) => p.decision === 'approved').map((p) => p.partyId);
  }

  announce(studyId: string, partyId?: string): void {
    const rec = this.d.store.getStudy(studyId);
    if (rec.state !== 'draft') return;
    const spec = this.specOf(studyId);
    const parties = this.d.store.parties(studyId);
    const invited = parties.map((p) => p.partyId);
    for (const p of parties) {
      if (partyId && p.partyId !== partyId) continue;
      if (p.decision !== 'pending') continue;
      const s = this.d.gateway.session(p.partyId);
      if (!s) continue;
      try {
        s.send({ $case: 'studyAnnouncement', value: { spec, parties: invited } });
      } catch {
        // offline; announced again when it reconnects
      }
    }
  }

  async run(studyId: string): Promise<void> {
    const { store, log } = this.d;
    const slog = log.child({ studyId });
    try {
      let rec = store.getStudy(studyId);
      if (isTerminal(rec.state)) return;
      const spec = this.specOf(studyId);
      if (rec.state === 'draft') {
        await this.awaitApprovals(studyId, spec);
        rec = store.getStudy(studyId);
      }
      if (rec.state === 'approved') store.setState(studyId, 'running', { phase: 'measuring' });
      rec = store.getStudy(studyId);
      if (rec.state === 'running' || rec.state === 'fitting') {
        await this.waitForParties(studyId);
        await this.synthesize(studyId, spec);
      }
      rec = store.getStudy(studyId);
      if (rec.state === 'delivering') {
        await this.deliver(studyId);
        store.setState(studyId, 'done', { phase: 'done' });
        store.setProgress(studyId, 1, 'done');
        this.d.audit('study.done', { studyId });
        slog.info('study done');
      }
    } catch (e) {
      const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
      const message = isFedsynthError(e) ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
      if (code === ErrorCode.Cancelled) {
        slog.warn('study cancelled');
        return;
      }
      slog.error({ code, err: message, stack: isFedsynthError(e) ? undefined : (e as Error)?.stack }, 'study failed');
      try {
        const cur = store.getStudy(studyId);
        if (!isTerminal(cur.state)) store.setState(studyId, 'failed', { phase: 'failed', errorCode: code, errorMessage: message });
      } catch {
        // already terminal
      }
      this.d.audit('study.failed', { studyId, code, message });
    }
  }

  private async awaitApprovals(studyId: string, spec: StudySpec): Promise<void> {
    const { store } = this.d;
    const deadline = Date.now() + this.d.approvalTimeoutMs;
    this.announce(studyId);
    for (;;) {
      this.checkCancelled(studyId);
      const parties = store.parties(studyId);
      const pending = parties.filter((p) => p.decision === 'pending');
      if (pending.length === 0 || Date.now() > deadline) {
        const approved = parties.filter((p) => p.decision === 'approved');
        const needed = Math.max(spec.minParties, spec.colluders + spec.dropouts + 1, 1);
        if (approved.length < needed) {
          const refusals = parties.filter((p) => p.decision === 'refused').map((p) => `${p.partyId}: ${p.reason}`);
          throw new FedsynthError(
            ErrorCode.PolicyRefused,
            `only ${approved.length} parties approved (need ${needed})` +
              (refusals.length ? `; refused: ${refusals.join('; ')}` : '') +
              (pending.length ? `; no answer from ${pending.map((p) => p.partyId).join(', ')}` : ''),
            { studyId },
          );
        }
        store.setState(studyId, 'approved', { phase: `approved by ${approved.length} parties` });
        this.d.audit('study.approved', { studyId, parties: approved.map((p) => p.partyId) });
        return;
      }
      await sleep(100);
    }
  }

  /** After a restart, give the approved parties a moment to reconnect before rounds resume. */
  private async waitForParties(studyId: string): Promise<void> {
    const approved = this.approvedParties(studyId);
    const deadline = Date.now() + Math.min(30_000, this.d.roundTimeoutMs);
    while (Date.now() < deadline) {
      const online = new Set(this.d.gateway.onlineParties());
      if (approved.every((p) => online.has(p))) return;
      await sleep(100);
    }
  }

  private async synthesize(studyId: string, spec: StudySpec): Promise<void> {
    const { store, log } = this.d;
    const rec = store.getStudy(studyId);
    const domain = new Domain(
      spec.domain.map((c) => c.name),
      spec.domain.map((c) => c.size),
    );
    const started = Date.now();
    const roundMode = (plan: RoundPlan): Promise<RoundOutcome> => {
      const custom = this.d.roundModes?.[spec.aggregation];
      if (custom) return custom(plan);
      if (spec.aggregation === Aggregation.AGGREGATION_MASKING) return runMaskingRound(this.d.gateway, plan, log, signingKeyOfCertificate);
      if (spec.aggregation === Aggregation.AGGREGATION_HE) {
        if (!this.d.custodian) throw new FedsynthError(ErrorCode.SourceUnavailable, 'this coordinator has no key-custodian gateway', { studyId });
        return runHeRound(this.d.gateway, this.d.custodian, plan, log, signingKeyOfCertificate, { minContributors: spec.minParties });
      }
      if (spec.aggregation !== Aggregation.AGGREGATION_PLAIN) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `aggregation mode ${Aggregation[spec.aggregation]} is not available on this coordinator`, { studyId });
      }
      return runPlainRound(this.d.gateway, plan, log);
    };
    const oracle = new ConsortiumOracle({
      studyId,
      domain,
      store,
      log,
      aggregation: spec.aggregation,
      neighbours: spec.neighbours,
      colluders: spec.colluders,
      dropouts: spec.dropouts,
      minParties: spec.minParties,
      maxSilosPerIndividual: Math.max(1, spec.maxSilosPerIndividual),
      roundTimeoutMs: this.d.roundTimeoutMs,
      participants: () => {
        this.checkCancelled(studyId);
        const online = new Set(this.d.gateway.onlineParties());
        return this.approvedParties(studyId).filter((p) => online.has(p));
      },
      approvedParties: () => this.approvedParties(studyId),
      maxRoundRetries: 3,
      reconnectWaitMs: Math.min(60_000, this.d.roundTimeoutMs),
      runRound: roundMode,
      onRoundDone: (index, label) => {
        const spent = store.getStudy(studyId).rhoSpent;
        store.setProgress(studyId, Math.min(0.95, (0.9 * spent) / spec.rho), `round ${index + 1} (${label}) done`);
      },
    });
    const mechanism = spec.mechanism === Mechanism.MECHANISM_AIM ? 'aim' : 'mst';
    const out = await runMechanismInWorker(mechanism, oracle, {
      rho: spec.rho,
      rows: spec.syntheticRows,
      sampleSeed: rec.seed,
      seed: rec.seed,
      onFit: () => {
        const cur = store.getStudy(studyId);
        if (cur.state === 'running') store.setState(studyId, 'fitting', { phase: 'fitting the model and sampling' });
      },
    });
    const cur = store.getStudy(studyId);
    if (cur.state === 'running') store.setState(studyId, 'fitting', { phase: 'fitting the model and sampling' });
    const dir = join(this.d.outputsDir, studyId);
    mkdirSync(dir, { recursive: true });
    const schema = spec.schemaJson ? parseSchema(JSON.parse(spec.schemaJson)) : undefined;
    if (schema) {
      // Raw-data study: decode codes back to labels and values with the public schema.
      writeFileSync(join(dir, 'synthetic.csv'), decodeCsv(schema, out.columns, seededRandomSource(rec.seed, 'coordinator/decode')));
    } else {
      writeFileSync(join(dir, 'synthetic.csv'), encodeCsv(domain.attrs, out.columns));
    }
    await writeParquet(join(dir, 'synthetic.csv'), join(dir, 'synthetic.parquet'), domain.attrs, schema);
    const after = store.getStudy(studyId);
    const privacy = { rho: after.rhoSpent, epsilon: epsilonFromRho(Math.max(after.rhoSpent, 1e-300), spec.delta), delta: spec.delta, rhoBudget: spec.rho };
    const parties = store.parties(studyId);
    const modelDoc = {
      format: 'fedsynth-model/v1',
      softwareVersion: VERSION,
      studyId,
      mechanism,
      domain: Object.fromEntries(domain.attrs.map((a, i) => [a, domain.shape[i]])),
      privacy,
      details: out.details,
      model: out.modelJson,
      // The public schema, so `fedsynth sample` can decode new rows to labels like synthetic.csv.
      schema: spec.schemaJson ? (JSON.parse(spec.schemaJson) as unknown) : null,
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelDoc));
    const rounds = store.roundsDone(studyId);
    const runDoc = {
      format: 'fedsynth-run/v1',
      softwareVersion: VERSION,
      studyId,
      mechanism,
      aggregation: Aggregation[spec.aggregation].replace('AGGREGATION_', '').toLowerCase(),
      privacy,
      rounds,
      parties: parties.map((p) => ({ id: p.partyId, decision: p.decision, rhoCharged: p.rhoCharged, dropped: p.dropped })),
      droppedParties: parties.filter((p) => p.dropped).map((p) => p.partyId),
      syntheticRows: spec.syntheticRows,
      timings: { synthesizeSeconds: (Date.now() - started) / 1000 },
    };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(runDoc, null, 2));
    const listed = OUTPUT_FILES.filter((f) => f !== 'manifest.json' && existsSync(join(dir, f)));
    writeSignedManifest(dir, listed, { studyId, study: StudySpec.toJSON(spec) as Record<string, unknown>, privacy }, this.d.signer);
    store.setState(studyId, 'delivering', { phase: 'delivering outputs to parties' });
    this.d.audit('study.outputs', { studyId, files: [...OUTPUT_FILES], privacy });
  }

  private async deliver(studyId: string): Promise<void> {
    for (const partyId of this.approvedParties(studyId)) this.deliverTo(studyId, partyId);
  }

  /**
   * Streams the study's outputs to one approved party, skipping files it already confirmed with
   * the same hash; called at the end of a study and again whenever the party reconnects, so a party
   * that was offline at delivery time still receives everything.
   */
  deliverTo(studyId: string, partyId: string): void {
    const dir = join(this.d.outputsDir, studyId);
    if (!this.approvedParties(studyId).includes(partyId)) return;
    const s = this.d.gateway.session(partyId);
    if (!s) return;
    const acked = new Map(this.d.store.deliveryAcks(studyId, partyId).map((a) => [a.fileName, a.sha256]));
    const sent: string[] = [];
    for (const file of OUTPUT_FILES) {
      if (!existsSync(join(dir, file))) continue;
      const data = readFileSync(join(dir, file));
      const sha256 = createHash('sha256').update(data).digest('hex');
      if (acked.get(file) === sha256) continue;
      const CHUNK = 1 << 20;
      try {
        for (let off = 0; off === 0 || off < data.length; off += CHUNK) {
          const last = off + CHUNK >= data.length;
          s.send({ $case: 'delivery', value: { studyId, fileName: file, offset: off, data: data.subarray(off, off + CHUNK), last, sha256: last ? sha256 : '' } });
          if (last) break;
        }
        sent.push(file);
      } catch {
        this.d.log.warn({ studyId, partyId, file }, 'delivery interrupted (party offline); it is resent when the party reconnects');
        break;
      }
    }
    if (sent.length > 0) this.d.audit('delivery.sent', { studyId, partyId, files: sent });
  }
}

/** A party's Ed25519 signing key as bound in its (TLS-verified) certificate. */
function signingKeyOfCertificate(certificate: Uint8Array): Uint8Array | undefined {
  try {
    return peerIdentityFromCertificate(certificate).signingPublicKeyRaw;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
