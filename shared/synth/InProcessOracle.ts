// InProcessOracle: a FederatedOracle over N in-memory parties, for tests, benches and simulation.
// Reference semantics for the gRPC oracle: per-party answer + per-party noise, plain summation.
import type { Domain } from '../pgm/Domain.js';
import type { MarginalSource } from '../data/MarginalSource.js';
import { seededRandomSource, cryptoRandomSource, type RandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { DistributedNoise } from './DistributedNoise.js';
import { type AttributeRecode, type LocalQuery, localQuerySensitivity } from './LocalQuery.js';
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
  readonly noise: DistributedNoise;
  /** Seed for per-party noise streams `party/<i>/noise`; omitted = CSPRNG. */
  readonly seed?: string;
  /** Called once per release, before any party computes, with the rho every party charges. */
  readonly accountant?: (charge: RhoCharge) => void;
}

/**
 * Each party evaluates the query with evaluateLocalQuery, adds integer noise drawn with its own
 * stream; the coordinator sees only the sum (secure aggregation yields the bit-identical sum).
 */
export class InProcessOracle implements FederatedOracle {
  readonly domain: Domain;
  private readonly parties: readonly MarginalSource[];
  private readonly noise: DistributedNoise;
  private readonly rngs: RandomSource[];
  private readonly accountant?: (charge: RhoCharge) => void;

  constructor(opts: InProcessOracleOptions) {
    if (opts.parties.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'InProcessOracle: no parties');
    this.domain = opts.domain;
    this.parties = opts.parties;
    this.noise = opts.noise;
    this.accountant = opts.accountant;
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
    this.accountant?.({ label, rho, l2Sensitivity, kind: query.kind });
    const plan = this.noise.plan({ rho, l2Sensitivity, parties: this.parties.length });
    let sum: Float64Array | undefined;
    for (let i = 0; i < this.parties.length; i++) {
      const v = await evaluateLocalQuery(query, this.parties[i], this.domain);
      const rng = this.rngs[i];
      for (let k = 0; k < v.length; k++) v[k] += this.noise.sample(plan.perPartySigma2, rng);
      if (sum === undefined) sum = v;
      else for (let k = 0; k < v.length; k++) sum[k] += v[k];
    }
    return { values: sum ?? new Float64Array(0), stddev: plan.stddev };
  }

  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: readonly AttributeRecode[]): Promise<Measurement[]> {
    return measureBySecureSum(this, attrSets, rho, label, recode);
  }
}
