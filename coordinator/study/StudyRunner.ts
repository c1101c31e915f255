// StudyRunner: drives one study through its lifecycle on the coordinator (announce, approvals,
// synthesis, delivery, done or failed), resuming from the last committed step after a restart.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { isTerminal } from '../../shared/study/StudyLifecycle.js';
import type { AggregationMode, StudySpec } from '../../shared/study/StudySpec.js';
import { studySpecFromJsonText, studySpecToJson, studySpecToWire } from '../../platform/wire/studySpecWire.js';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import type { CustodianGateway } from '../custodian/CustodianGateway.js';
import type { RoundOutcome, RoundPlan } from '../rounds/RoundPlan.js';
import type { OutputSigner } from '../delivery/SignedManifest.js';
import { OUTPUT_FILES, writeStudyOutputs } from '../delivery/StudyOutputs.js';
import { deliverOutputs } from '../delivery/OutputDelivery.js';
import { addPooledRisk, writeConsortiumReport, type PooledRiskSection } from '../delivery/ConsortiumReport.js';
import { signConsortiumReport } from '../delivery/signConsortiumReport.js';
import { pooledRounds, studyDomain, synthesizeStudy } from './StudySynthesis.js';
import { SyntheticCsvWriter } from '../delivery/SyntheticCsvWriter.js';
import { MeasuredMarginalTally } from '../../shared/eval/MeasuredMarginalTally.js';
import { fileSha256 } from '../../platform/delivery/fileSha256.js';
import { pooledSubgroupFidelity } from '../../shared/eval/pooledSubgroupFidelity.js';
import { defaultSubgroupColumns } from '../../shared/eval/subgroupFidelity.js';
import { MAX_ATTACKED_SYNTHETIC_ROWS } from '../../shared/eval/evaluateSynthetic.js';
import { syntheticCsvChunks } from '../../platform/delivery/syntheticCsvChunks.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import type { RowChunks } from '../../shared/eval/RowChunks.js';
import { pooledRiskFigures } from '../../shared/eval/risk/pooledRiskFigures.js';
import { pooledSinglingOutFamilies } from '../../shared/eval/risk/pooledSinglingOut.js';
import type { RoundObserver } from '../metrics/CoordinatorMetrics.js';
import { studyRoundTimeoutMs } from '../../shared/study/roundTimeout.js';

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
  roundModes?: Partial<Record<AggregationMode, (plan: RoundPlan) => Promise<RoundOutcome>>>;
  /** Signs manifest.json (the coordinator's kit key); without it the manifest is unsigned. */
  signer?: OutputSigner;
  /** Sees every round attempt (the coordinator's metrics). */
  rounds?: RoundObserver;
}

export class StudyRunner {
  /** Output deliveries under way, per "study/party" (deliverTo chains a new one after it). */
  private readonly deliveries = new Map<string, Promise<void>>();

  constructor(private readonly d: StudyRunnerDeps) {}

  specOf(studyId: string): StudySpec {
    return studySpecFromJsonText(this.d.store.getStudy(studyId).specJson);
  }

  private checkCancelled(studyId: string): void {
    const s = this.d.store.getStudy(studyId);
    if (s.state === 'cancelled') throw new FedsynthError(ErrorCode.Cancelled, `study ${studyId} was cancelled`, { studyId });
  }

  /** The round timeout this study runs with: its own (set at creation), else the coordinator's. */
  private roundTimeoutMs(studyId: string): number {
    return studyRoundTimeoutMs(this.d.store.getStudy(studyId).roundTimeoutMs, this.d.roundTimeoutMs);
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
        s.send({ $case: 'studyAnnouncement', value: { spec: studySpecToWire(spec), parties: invited } });
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
        if ((spec.evaluationRho ?? 0) > 0) await this.pooledRisk(studyId, spec);
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
    const deadline = Date.now() + Math.min(30_000, this.roundTimeoutMs(studyId));
    while (Date.now() < deadline) {
      const online = new Set(this.d.gateway.onlineParties());
      if (approved.every((p) => online.has(p))) return;
      await sleep(100);
    }
  }

  private async synthesize(studyId: string, spec: StudySpec): Promise<void> {
    const { store } = this.d;
    const rec = store.getStudy(studyId);
    const started = Date.now();
    const dir = join(this.d.outputsDir, studyId);
    const domain = studyDomain(spec);
    // The rows stream into synthetic.csv and into the report's counts as they are drawn: the
    // coordinator holds one chunk of them at a time, whatever the number of rows.
    const csv = new SyntheticCsvWriter(dir, domain, spec.schemaJson ? parseSchema(JSON.parse(spec.schemaJson)) : undefined, rec.seed);
    let tally: MeasuredMarginalTally | undefined;
    let synthesis;
    try {
      synthesis = await synthesizeStudy(
        { ...this.d, roundTimeoutMs: this.roundTimeoutMs(studyId), checkCancelled: (id) => this.checkCancelled(id), approvedParties: (id) => this.approvedParties(id) },
        studyId,
        spec,
        rec.seed,
        (chunk, measured, values) => {
          csv.write(chunk, values);
          (tally ??= new MeasuredMarginalTally(domain.attrs, domain.shape, measured)).add(chunk);
        },
      );
    } catch (e) {
      csv.abort();
      throw e;
    }
    tally ??= new MeasuredMarginalTally(domain.attrs, domain.shape, synthesis.measured);
    const privacy = await writeStudyOutputs({ store, dir, studyId, spec, ...synthesis, synthetic: csv, started, signer: this.d.signer });
    // The operator's report (fetched with the outputs, not delivered: each party writes its own local one).
    writeConsortiumReport({ dir, spec, domain: synthesis.domain, synthetic: tally, notScored: synthesis.measuredRecoded, privacy, parties: store.parties(studyId), accounts: store.roundAccounts(studyId) });
    // ... signed like the outputs (report-manifest.json), so the operator's copy can be verified too.
    signConsortiumReport(dir, { studyId, study: studySpecToJson(spec), privacy }, this.d.signer);
    store.setState(studyId, 'delivering', { phase: 'delivering outputs to parties' });
    this.d.audit('study.outputs', { studyId, files: [...OUTPUT_FILES], privacy });
  }

  /**
   * The post-delivery pooled risk release (docs/evaluation.md "Pooled risk"): once every approved
   * party confirmed the synthetic data, one round in the study's aggregation mode; its figures go
   * into the operator's report. A round that does not complete is reported, never fails the study:
   * its outputs are delivered already.
   */
  private async pooledRisk(studyId: string, spec: StudySpec): Promise<void> {
    const { store, log } = this.d;
    const dir = join(this.d.outputsDir, studyId);
    store.setState(studyId, 'delivering', { phase: 'pooled risk evaluation (post-delivery round)' });
    let section: PooledRiskSection;
    try {
      const syntheticSha256 = fileSha256(join(dir, 'synthetic.csv'));
      await this.awaitSyntheticAcks(studyId, syntheticSha256);
      const deps = { ...this.d, roundTimeoutMs: this.roundTimeoutMs(studyId), checkCancelled: (id: string) => this.checkCancelled(id), approvedParties: (id: string) => this.approvedParties(id) };
      // Read in chunks (families, subgroup counts): the coordinator holds no O(rows) copy here either.
      const synth = studySyntheticChunks(dir, spec);
      const categorical = spec.schemaJson ? parseSchema(JSON.parse(spec.schemaJson)).columns.map((c) => c.type === 'categorical') : undefined;
      const split = defaultSubgroupColumns(synth.sizes, categorical);
      // Singling-out predicates read off the delivered rows (public), in families no record can match twice.
      const families = pooledSinglingOutFamilies(synth, `pooled/${studyId}`);
      const design = { families: families.length, predicates: families.reduce((n, f) => n + f.length, 0) };
      const { risk: sum, subgroups } = await pooledRounds(deps, studyId, spec, syntheticSha256, split, families);
      const noise = { stddev: sum.stddev, l2Sensitivity: sum.l2Sensitivity, rho: sum.rho, parties: sum.parties };
      // The parties attacked at most MAX_ATTACKED_SYNTHETIC_ROWS synthetic rows (attackedSyntheticRows).
      const figures = pooledRiskFigures(sum.values, spec.domain.map((c) => c.name), Math.min(spec.syntheticRows, MAX_ATTACKED_SYNTHETIC_ROWS), noise, 0.95, design);
      section = {
        released: true,
        figures,
        noisySum: Array.from(sum.values),
        ...(subgroups ? { subgroups: { ...pooledSubgroupFidelity(synth, subgroups.split, subgroups.sums, subgroups.stddev), rho: subgroups.rho } } : {}),
      };
      this.d.audit('study.pooled_risk', { studyId, rho: sum.rho, parties: sum.parties, stddev: sum.stddev, subgroupRho: subgroups?.rho ?? 0 });
    } catch (e) {
      if (isFedsynthError(e) && e.code === ErrorCode.Cancelled) throw e;
      const reason = isFedsynthError(e) ? `${e.code}: ${e.message}` : `internal error: ${(e as Error)?.message ?? String(e)}`;
      log.warn({ studyId, err: reason }, 'pooled risk round not released');
      this.d.audit('study.pooled_risk_failed', { studyId, reason });
      section = { released: false, reason };
    }
    // The report changed after it was signed with the outputs: sign it again (report-manifest.json), so
    // `fedsynth verify` checks the pooled figures too; the outputs' manifest.json is untouched.
    const report = addPooledRisk(dir, section);
    signConsortiumReport(dir, { studyId, study: studySpecToJson(spec), privacy: report.privacy }, this.d.signer);
  }

  /** Waits (bounded by the round timeout) until every approved party confirmed synthetic.csv with this hash. */
  private async awaitSyntheticAcks(studyId: string, sha256: string): Promise<void> {
    const deadline = Date.now() + this.roundTimeoutMs(studyId);
    for (;;) {
      this.checkCancelled(studyId);
      const missing = this.approvedParties(studyId).filter((p) => !this.d.store.deliveryAcks(studyId, p).some((a) => a.fileName === 'synthetic.csv' && a.sha256 === sha256));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new FedsynthError(ErrorCode.TooFewSurvivors, `no confirmed synthetic data at ${missing.join(', ')}`, { studyId });
      await sleep(100);
    }
  }

  private async deliver(studyId: string): Promise<void> {
    for (const partyId of this.approvedParties(studyId)) this.deliverTo(studyId, partyId);
  }

  /**
   * Streams the study's outputs to one approved party, skipping files it already confirmed with
   * the same hash; called at the end of a study and again whenever the party reconnects, so a party
   * that was offline at delivery time still receives everything. Resolves when this delivery has
   * ended (sent, or interrupted and left for the next reconnect); it never rejects.
   */
  deliverTo(studyId: string, partyId: string): Promise<void> {
    if (!this.approvedParties(studyId).includes(partyId)) return Promise.resolve();
    // One delivery per party and study at a time: a reconnect's delivery starts after the one under
    // way ends (which it does at once when the old stream closed), so frames never interleave.
    const key = `${studyId}/${partyId}`;
    const run = (this.deliveries.get(key) ?? Promise.resolve())
      .then(() => deliverOutputs(this.d, join(this.d.outputsDir, studyId), studyId, partyId))
      .catch((e: unknown) => this.d.log.warn({ studyId, partyId, err: (e as Error)?.message ?? String(e) }, 'delivery failed; it is retried when the party reconnects'))
      .finally(() => {
        if (this.deliveries.get(key) === run) this.deliveries.delete(key);
      });
    this.deliveries.set(key, run);
    return run;
  }
}

/** The study's synthetic.csv (as written for delivery) as codes, in chunks. */
function studySyntheticChunks(dir: string, spec: StudySpec): RowChunks {
  const schema = spec.schemaJson ? parseSchema(JSON.parse(spec.schemaJson)) : null;
  return syntheticCsvChunks(join(dir, 'synthetic.csv'), { columns: spec.domain.map((c) => c.name), sizes: spec.domain.map((c) => c.size), schema });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
