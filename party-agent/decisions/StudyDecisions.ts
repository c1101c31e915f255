// StudyDecisions: this party's answer to each announced study — judged by its policy (or left
// pending for the operator), stored, audited, and sent to the coordinator once per connection.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { domainHash } from '../../shared/study/domainHash.js';
import { Aggregation, Mechanism, type AgentMessage, type StudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { AgentStore } from '../state/AgentStore.js';
import { judgeStudy, type AgentPolicy } from '../policy/StudyPolicy.js';
import type { ApprovedStudy } from '../rounds/ComputeHandler.js';

type AgentBody = NonNullable<AgentMessage['body']>;

/** The agent's side of the connection, as far as decisions need it. */
export interface DecisionChannel {
  readonly connected: boolean;
  send(body: AgentBody): void;
}

export interface StudyDecisionsOptions {
  store: AgentStore;
  channel: DecisionChannel;
  domain: Domain;
  policy: AgentPolicy;
  /** Named in the operator's hint for approving a pending study. */
  stateDir: string;
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
        channel.send({ $case: 'studyDecision', value: { studyId: s.studyId, approved: s.decision === 'approved', reason: s.reason } });
        this.sent.add(s.studyId);
      } catch {
        return;
      }
    }
  }

  onAnnouncement(spec: StudySpec | undefined, parties: string[]): void {
    if (!spec) return;
    const { store } = this.opts;
    const log = this.opts.log.child({ studyId: spec.studyId });
    const known = store.study(spec.studyId);
    if (known && known.decision !== 'pending') {
      this.flush();
      return;
    }
    if (spec.domainHash !== domainHash(this.opts.domain)) {
      store.upsertStudy(spec.studyId, JSON.stringify({ spec, parties }), 'refused', 'the study domain differs from this agent\'s schema');
      this.flush();
      return;
    }
    const mechanism = spec.mechanism === Mechanism.MECHANISM_AIM ? 'aim' : 'mst';
    const aggregation = spec.aggregation === Aggregation.AGGREGATION_PLAIN ? 'plain' : spec.aggregation === Aggregation.AGGREGATION_HE ? 'he' : 'masking';
    const verdict = judgeStudy(this.opts.policy, {
      studyId: spec.studyId,
      mechanism,
      epsilon: spec.epsilon,
      delta: spec.delta,
      columns: spec.columns,
      parties: parties.length,
      aggregation,
    });
    log.info(
      { mechanism, epsilon: spec.epsilon, delta: spec.delta, rho: spec.rho, columns: spec.columns, parties: parties.length, aggregation, verdict: verdict.kind },
      `study ${spec.studyId} asks: ${mechanism.toUpperCase()} on ${spec.columns.length} columns at epsilon ${spec.epsilon}, delta ${spec.delta}`,
    );
    const stored = JSON.stringify({ spec, parties });
    if (verdict.kind === 'approve') store.upsertStudy(spec.studyId, stored, 'approved', 'approved by policy');
    else if (verdict.kind === 'refuse') store.upsertStudy(spec.studyId, stored, 'refused', verdict.reasons.join('; '));
    else {
      store.upsertStudy(spec.studyId, stored, 'pending', verdict.why);
      log.warn(`study ${spec.studyId} waits for approval: run \`fedsynth agent approve ${spec.studyId} --state ${this.opts.stateDir}\``);
    }
    this.opts.audit('study.decision', { studyId: spec.studyId, decision: verdict.kind, epsilon: spec.epsilon, delta: spec.delta, mechanism });
    this.flush();
  }

  /** What this party approved for `studyId`; throws unless it is known and approved. */
  approvedStudy(studyId: string): ApprovedStudy {
    const s = this.opts.store.study(studyId);
    if (!s) throw new FedsynthError(ErrorCode.UnknownStudy, `unknown study ${studyId}`, { studyId });
    if (s.decision !== 'approved') throw new FedsynthError(ErrorCode.PolicyRefused, `study ${studyId} is not approved by this party`, { studyId });
    const { spec, parties } = JSON.parse(s.specJson) as { spec: StudySpec; parties: string[] };
    return {
      studyId,
      studyRho: spec.rho,
      colluders: spec.colluders,
      dropouts: spec.dropouts,
      maxSilosPerIndividual: Math.max(1, spec.maxSilosPerIndividual),
      parties,
    };
  }

  /** The announced spec of a known study, whatever the decision. */
  storedSpec(studyId: string): StudySpec | undefined {
    const s = this.opts.store.study(studyId);
    if (!s) return undefined;
    return (JSON.parse(s.specJson) as { spec: StudySpec }).spec;
  }
}
