// InProcessOracle: a FederatedOracle over N in-memory parties, for tests and benches.
// Reference semantics for the gRPC oracle: per-party answer + the same exact per-party noise, plain summation.
import type { Domain } from '../pgm/Domain.js';
import type { MarginalSource } from '../data/MarginalSource.js';
import { seededRandomSource, cryptoRandomSource, type RandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import type { Measurement } from '../pgm/Measurement.js';
import { planDistributedDiscreteGaussian } from '../dp/mechanisms/distributedDiscreteGaussian.js';
import type { PrivacyAccountant } from '../dp/accounting/PrivacyAccountant.js';
import { type AttributeRecode, type LocalQuery, localQuerySensitivity, validateLocalQuery } from './LocalQuery.js';
import { evaluateLocalQuery } from './evaluateLocalQuery.js';
import { type FederatedOracle, type SecureSumResult, measureBySecureSum } from './FederatedOracle.js';

/** One charge of privacy budget, made by every party for one release. */
export interface RhoCharge {
  readonly label: string;
  readonly rho: number;
  readonly l2Sensitivity: number;
  readonly kind: LocalQuery['kind'];
}

export interface InProcessOracleOptions {
  readonly domain: Domain;
  readonly parties: readonly MarginalSource[];
  /** Parties that may collude with the coordinator, and that may drop out (noise planned for them; default 0). */
  readonly colluders?: number;
  readonly dropouts?: number;
  /** Seed for per-party noise streams `party/<i>/noise`; omitted = CSPRNG. */
  readonly seed?: string;
  /** The parties' budget (all charge the same): every release is charged to it before any party computes. */
  readonly accountant?: PrivacyAccountant;
  /** Called once per release, before any party computes, with the rho every party charges. */
  readonly onCharge?: (charge: RhoCharge) => void;
}

/**
 * Each party evaluates the query with evaluateLocalQuery and releases it through the distributed
 * discrete Gaussian mechanism planned for the release (the one an agent runs), drawing from its own
 * stream; the coordinator sees only the sum (secure aggregation yields the bit-identical sum).
 */
export class InProcessOracle implements FederatedOracle {
  readonly domain: Domain;
  private readonly parties: readonly MarginalSource[];
  private readonly colluders: number;
  private readonly dropouts: number;
  private readonly rngs: RandomSource[];
  private readonly accountant?: PrivacyAccountant;
  private readonly onCharge?: (charge: RhoCharge) => void;

  constructor(opts: InProcessOracleOptions) {
    if (opts.parties.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'InProcessOracle: no parties');
    this.domain = opts.domain;
    this.parties = opts.parties;
    this.colluders = opts.colluders ?? 0;
    this.dropouts = opts.dropouts ?? 0;
    this.accountant = opts.accountant;
    this.onCharge = opts.onCharge;
    this.rngs = opts.parties.map((_, i) => (opts.seed !== undefined ? seededRandomSource(opts.seed, `party/${i}/noise`) : cryptoRandomSource()));
  }

  get partyCount(): number {
    return this.parties.length;
  }

  async secureSum(query: LocalQuery, rho: number, label: string): Promise<SecureSumResult> {
    if (!(rho > 0) || !Number.isFinite(rho)) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `secureSum(${label}): rho must be finite and > 0, got ${rho}`);
    }
    const l2Sensitivity = localQuerySensitivity(query);
    validateLocalQuery(query, this.domain); // a malformed query is refused before anything is charged
    const parties = this.parties.length;
    const noise = planDistributedDiscreteGaussian({ rho, l2Sensitivity, parties, colluders: this.colluders, dropouts: this.dropouts });
    this.accountant?.charge(label, rho);
    this.onCharge?.({ label, rho, l2Sensitivity, kind: query.kind });
    let sum: Float64Array | undefined;
    for (let i = 0; i < parties; i++) {
      const v = noise.invoke(await evaluateLocalQuery(query, this.parties[i], this.domain), this.rngs[i]);
      if (sum === undefined) sum = v;
      else for (let k = 0; k < v.length; k++) sum[k] += v[k];
    }
    return { values: sum ?? new Float64Array(0), stddev: Math.sqrt(noise.sumSigma2(parties)) };
  }

  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: readonly AttributeRecode[]): Promise<Measurement[]> {
    return measureBySecureSum(this, attrSets, rho, label, recode);
  }
}
