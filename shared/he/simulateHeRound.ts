// simulateHeRound: an in-process driver for homomorphic-mode aggregation (custodian keygen, parties
// encrypt, coordinator adds, custodian decrypts the aggregate) for tests and benches.
import type { SignedVector } from '../secagg/ModularVector.js';
import { makeIdentities } from '../secagg/simulateSecAggRound.js';
import { HeAggregator } from './HeAggregator.js';
import { HeCustodian } from './HeCustodian.js';
import type { HeContribution } from './HeMessages.js';
import { chooseHeParams, type HeParams } from './HeParameters.js';
import { HeParty } from './HeParty.js';

/** One HE run's inputs. */
export interface HeSimulationOptions {
  roundId: string;
  parties: string[];
  threshold: number;
  inputs: readonly SignedVector[];
  maxAbsValue: bigint;
  /** Parties that never send their contribution. */
  dropped?: ReadonlySet<string>;
  /** Seed for the identity keys only (SEAL's own randomness cannot be seeded). */
  seed?: string;
  /** May replace a contribution on its way to the coordinator (fault planting). */
  onContribution?: (c: HeContribution) => HeContribution | void;
}

/** Result: the exact sum and traffic sizes. */
export interface HeSimulationResult {
  sum: BigInt64Array;
  contributors: string[];
  params: HeParams;
  /** Bytes each contributing party uploaded. */
  bytesSent: Map<string, number>;
  publicKeyBytes: number;
  aggregateBytes: number;
}

export async function simulateHeRound(opts: HeSimulationOptions): Promise<HeSimulationResult> {
  const params = chooseHeParams(opts.maxAbsValue * BigInt(opts.parties.length));
  const ids = await makeIdentities(opts.parties, opts.seed);
  const custodian = await HeCustodian.create(params, opts.threshold);
  const pk = custodian.publicKey();
  const aggregator = await HeAggregator.create(params, opts.roundId, opts.parties, opts.inputs[0].length, (p) => ids.get(p)?.publicKey);
  const party = await HeParty.create(params, pk, opts.maxAbsValue);
  const bytesSent = new Map<string, number>();
  try {
    for (const [i, p] of opts.parties.entries()) {
      if (opts.dropped?.has(p)) continue;
      const honest = party.encrypt(opts.roundId, p, opts.inputs[i], ids.get(p)!.privateKey);
      const c = opts.onContribution?.(honest) ?? honest;
      bytesSent.set(p, c.ciphertexts.reduce((n, b) => n + b.byteLength, 0) + c.signature.byteLength);
      aggregator.add(c);
    }
    const agg = aggregator.result();
    const sum = custodian.decrypt(agg);
    return { sum, contributors: agg.contributors, params, bytesSent, publicKeyBytes: pk.byteLength, aggregateBytes: agg.ciphertexts.reduce((n, b) => n + b.byteLength, 0) };
  } finally {
    party.dispose();
    aggregator.dispose();
    custodian.dispose();
  }
}
