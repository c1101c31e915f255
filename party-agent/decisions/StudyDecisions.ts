// StudyDecisions: this party's answer to each announced study — its terms verified, judged by its
// policy (or left pending for the operator), bound to the spec hash, audited, sent once per connection.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { domainHash } from '../../shared/study/domainHash.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import type { AgentStore } from '../state/AgentStore.js';
import type { AgentPolicy } from '../policy/StudyPolicy.js';
import { studySpecHash } from '../../platform/wire/studySpecHash.js';
import { judgeAnnouncement, partyTermsOf } from '../verification/judgeAnnouncement.js';
import { effectiveStudyTerms } from '../verification/SpecVerification.js';
import { assertSameSpec, storedStudy, storedStudyJson } from '../verification/SpecBinding.js';
import type { ApprovedStudy } from '../rounds/ComputeContext.js';
import { roundModesFor } from '../verification/RoundMode.js';
import type { DecisionMessage } from './DecisionMessage.js';

/** The agent's side of the connection, as far as decisions need it (it converts to the wire). */
export interface DecisionChannel {
  readonly connected: boolean;
  send(message: DecisionMessage): void;
}

export interface StudyDecisionsOptions {
  store: AgentStore;
  channel: DecisionChannel;
  domain: Domain;
  policy: AgentPolicy;
  /** Named in the operator's hint for approving a pending study (when no config file is known). */
  stateDir: string;
  /** The agent's config file: the hint names `--config FILE`, as docs/operator-guide.md does. */
  configFile?: string;
  log: Logger;
  audit: (event: string, details: Record<string, unknown>) => void;
}

export class StudyDecisions {
  private readonly sent = new Set<string>();

  constructor(private readonly opts: StudyDecisionsOptions) {}

  /** A (re)connection: the coordinator has to hear every decision again. */
  onConnected(): void {
    this.sent.clear();
    this.flush();
  }

  /** Sends every decided study not yet sent on this connection (operator approvals included). */
  flush(): void {
    const { store, channel } = this.opts;
    if (!channel.connected) return;
    for (const s of store.studies()) {
      if (s.decision === 'pending' || this.sent.has(s.studyId)) continue;
      try {
        channel.send({ kind: 'decision', studyId: s.studyId, approved: s.decision === 'approved', reason: s.reason });
        this.sent.add(s.studyId);
      } catch {
        return;
      }
    }
  }

  onAnnouncement(spec: StudySpec, parties: readonly string[]): void {
    const { store } = this.opts;
    const log = this.opts.log.child({ studyId: spec.studyId });
    const known = store.study(spec.studyId);
    if (known) {
      // The first spec shown is the one judged, approved and enforced: a changed one is refused.
      try {
        assertSameSpec(storedStudy(known.specJson), spec, parties);
      } catch (e) {
        this.refuseRespec(spec.studyId, known.decision, e);
        return;
      }
      if (known.decision !== 'pending') {
        this.flush();
        return;
      }
    }
    if (spec.domainHash !== domainHash(this.opts.domain)) {
      store.upsertStudy(spec.studyId, storedStudyJson(spec, parties), 'refused', 'the study domain differs from this agent\'s schema');
      this.flush();
      return;
    }
    const { verdict, codes, terms, ask } = judgeAnnouncement(this.opts.policy, spec, parties);
    const { mechanism, aggregation } = ask;
    log.info(
      { mechanism, epsilon: spec.epsilon, delta: spec.delta, rho: spec.rho, approvedRho: terms.approvedRho, columns: spec.columns, parties: parties.length, aggregation, verdict: verdict.kind, codes },
      `study ${spec.studyId} asks: ${mechanism.toUpperCase()} on ${spec.columns.length} columns at epsilon ${spec.epsilon}, delta ${spec.delta}`,
    );
    const stored = storedStudyJson(spec, parties);
    if (verdict.kind === 'approve') store.upsertStudy(spec.studyId, stored, 'approved', 'approved by policy');
    else if (verdict.kind === 'refuse') store.upsertStudy(spec.studyId, stored, 'refused', verdict.reasons.join('; '));
    else {
      store.upsertStudy(spec.studyId, stored, 'pending', verdict.why);
      const state = this.opts.configFile ? `--config ${this.opts.configFile}` : `--state ${this.opts.stateDir}`;
      log.warn(`study ${spec.studyId} waits for approval: review it with \`fedsynth agent studies ${state}\`, then run \`fedsynth agent approve ${spec.studyId} --spec-hash HASH ${state}\``);
    }
    this.opts.audit('study.decision', { studyId: spec.studyId, decision: verdict.kind, epsilon: spec.epsilon, delta: spec.delta, mechanism, specHash: studySpecHash(spec, parties), ...(codes.length > 0 ? { codes } : {}) });
    this.flush();
  }

  /**
   * An announcement this party cannot read (its spec failed conversion at the edge, e.g. an
   * UNSPECIFIED mechanism): a known study keeps what it holds (refused like a changed spec); an
   * unknown one is refused, audited with the error's code and field, and nothing is stored.
   */
  onUnreadableAnnouncement(studyId: string, e: unknown): void {
    const known = this.opts.store.study(studyId);
    if (known) {
      this.refuseRespec(studyId, known.decision, e);
      return;
    }
    const err = isFedsynthError(e) ? e : new FedsynthError(ErrorCode.InvalidArgument, `study ${studyId}: ${(e as Error).message}`, { studyId });
    this.opts.log.warn({ studyId, code: err.code, ...err.details }, `study ${studyId} refused: ${err.message}`);
    this.opts.audit('study.decision', { studyId, decision: 'refuse', codes: [err.code], ...err.details });
    if (!this.opts.channel.connected) return;
    try {
      this.opts.channel.send({ kind: 'decision', studyId, approved: false, reason: `${err.code}: ${err.message}` });
    } catch {
      // disconnected: the coordinator re-announces, and the refusal is in the audit log
    }
  }

  /** A changed re-announcement: logged, audited, reported to the coordinator; nothing stored changes. */
  private refuseRespec(studyId: string, decision: string, e: unknown): void {
    const err = isFedsynthError(e) ? e : new FedsynthError(ErrorCode.CorruptState, `stored study ${studyId} cannot be read: ${(e as Error).message}`, { studyId });
    this.opts.log.warn({ studyId, code: err.code, ...err.details }, err.message);
    this.opts.audit('study.respec_refused', { studyId, code: err.code, decision, ...err.details });
    if (!this.opts.channel.connected) return;
    try {
      this.opts.channel.send({ kind: 'respecRefused', studyId, code: err.code, message: err.message });
    } catch {
      // disconnected: the refusal is in the audit log
    }
  }

  /** What this party approved for `studyId`, every term derived by this party; throws unless known and approved. */
  approvedStudy(studyId: string): ApprovedStudy {
    const s = this.opts.store.study(studyId);
    if (!s) throw new FedsynthError(ErrorCode.UnknownStudy, `unknown study ${studyId}`, { studyId });
    if (s.decision !== 'approved') throw new FedsynthError(ErrorCode.PolicyRefused, `study ${studyId} is not approved by this party`, { studyId });
    const { spec, parties } = storedStudy(s.specJson);
    // rho from the approved (epsilon, delta), this party's k and floors (its current config).
    const terms = effectiveStudyTerms(spec, partyTermsOf(this.opts.policy));
    return {
      studyId,
      studyRho: terms.approvedRho,
      colluders: terms.colluders,
      dropouts: terms.dropouts,
      maxSilosPerIndividual: terms.maxSilosPerIndividual,
      parties,
      aggregation: spec.aggregation,
      roundModes: roundModesFor(studyId, spec.aggregation, this.opts.policy),
      minNeighbours: this.opts.policy.minNeighbours ?? 0,
      specHash: studySpecHash(spec, parties),
      delta: spec.delta,
      training: spec.training,
      schemaJson: spec.schemaJson,
      evaluationRho: spec.evaluationRho ?? 0,
    };
  }

  /** The announced spec of a known study, whatever the decision. */
  storedSpec(studyId: string): StudySpec | undefined {
    const s = this.opts.store.study(studyId);
    if (!s) return undefined;
    return storedStudy(s.specJson).spec;
  }
}
