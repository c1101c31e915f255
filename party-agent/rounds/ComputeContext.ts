// ComputeContext: what a round's compute stage runs against on the party's side — the study this
// party approved (ApprovedStudy), its data, ledger, noise source and helpers (ComputeContext), and
// the ledger's charging interface (BudgetCharger). Types only; the stage itself is ComputeHandler.
import type { Logger } from 'pino';
import type { Domain } from '../../shared/pgm/Domain.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import type { RandomSource } from '../../shared/dp/random/RandomSource.js';
import type { AggregationMode, DpsgdTraining } from '../../shared/study/StudySpec.js';
import type { TabularRowSource } from '../data/trainingRows.js';
import type { AgentStore } from '../state/AgentStore.js';
import type { PooledRiskContribution } from '../evaluation/PooledRiskContribution.js';
import type { LocalQueryThread } from './LocalQueryThread.js';
import type { DelayHook } from '../../platform/testing/delayHook.js';

/**
 * The agent's authority over its budget: throws BudgetExceeded rather than overspend.
 * `studyCapRho` caps the study at what this party approved (its own conversion of the study's
 * epsilon and delta), below the policy's per-study maximum.
 */
export interface BudgetCharger {
  charge(req: { studyId: string; idempotencyKey: string; rho: number; rdp?: readonly number[]; label: string; studyCapRho: number }): void;
}

/** What the approved study fixed, as this party derived it (SpecVerification); a round may not ask for more. */
export interface ApprovedStudy {
  studyId: string;
  /** rho from the approved (epsilon, delta), converted by this party: the study's ledger cap. */
  studyRho: number;
  colluders: number;
  dropouts: number;
  maxSilosPerIndividual: number;
  parties: readonly string[];
  /** The approved aggregation mode: a plain study's cap is its plain exposure (releaseCapRho). */
  aggregation: AggregationMode;
  /** Modes this party serves for the study's rounds (verification/RoundMode); absent = `aggregation` only. */
  roundModes?: readonly AggregationMode[];
  /** The party's own SecAgg+ floor for k (policy.minNeighbours; verification/RoundSafety); absent = 0. */
  minNeighbours?: number;
  /** studySpecHash of the approved study; an HE key must be endorsed for it (verification/HeKeyVerification). Absent = not checked. */
  specHash?: string;
  /** The approved delta (RDP charges of the gradient path are read as (epsilon, delta) at it); absent = 1e-9. */
  delta?: number;
  /** Mechanism dpsgd: the approved training terms (verification/GradientVerification). */
  training?: DpsgdTraining;
  /** The study's public schema (JSON), '' for integer codes: the generator's encoding. */
  schemaJson?: string;
  /** The part of studyRho approved for the post-delivery pooled risk round; absent or 0 = none (such rounds are refused). */
  evaluationRho?: number;
}

export interface ComputeContext {
  domain: Domain;
  source: MarginalSource;
  /** The rows gradient rounds train on (absent: an in-memory `source`'s, else refused). */
  trainingRows?: TabularRowSource;
  store: AgentStore;
  ledger: BudgetCharger;
  noiseRng: RandomSource;
  log: Logger;
  /** Answers post-delivery `riskCounts` rounds from the delivered outputs; absent = such rounds are refused. */
  pooledRisk?: PooledRiskContribution;
  /** Counts and scores counted queries off the event loop (a worker thread); absent = on this thread. */
  queries?: LocalQueryThread;
  /** Test-only (platform/testing/delayHook): awaited as `compute.evaluate` after the charge, before the rows are counted. */
  delayAt?: DelayHook;
}
