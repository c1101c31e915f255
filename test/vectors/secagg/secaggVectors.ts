// secaggVectors: computes the secure-aggregation known-answer vectors from a fixed seed (positive
// stage-by-stage transcripts and negative cases); stored as JSON beside this file and re-checked.
import { createHash } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../../../shared/errors/FedsynthError.js';
import { sumToBigInts } from '../../../shared/secagg/ModularVector.js';
import type { RoundConfig } from '../../../shared/secagg/RoundConfig.js';
import { makeIdentities, simulateSecAggRound, type SecAggSimulationOptions } from '../../../shared/secagg/simulateSecAggRound.js';
import type { ServerRequest } from '../../../shared/secagg/SecAggMessages.js';
import type { SecAggStage } from '../../../shared/secagg/SecAggStage.js';
import { envelopeKey, openShares, sealShares } from '../../../shared/secagg/ShareEnvelope.js';
import { loadSodium } from '../../../shared/secagg/sodium.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export const KAT_SEED = 'kat-secagg-v1';
export const KAT_CONFIG: RoundConfig = {
  roundId: 'kat-round-1',
  parties: ['p0', 'p1', 'p2', 'p3'],
  threshold: 3,
  vectorLength: 8,
  modulusBits: 32,
  maxAbsValue: 100000n,
};
export const KAT_INPUTS = KAT_CONFIG.parties.map((_, i) => Float64Array.from({ length: 8 }, (_, j) => (i + 1) * (j - 3) * 1000 + i));
/** p3 drops after sending its shares, so the unmask stage reconstructs its mask key. */
export const KAT_DROP = new Map<string, SecAggStage>([['p3', 'maskedInput']]);

/** Positive vectors: every deterministic byte of a seeded round, stage by stage. */
export async function positiveVectors(): Promise<Record<string, unknown>> {
  const sodium = await loadSodium();
  const stages: Record<string, Record<string, unknown>> = { advertiseKeys: {}, shareKeys: {}, maskedInput: {}, consistency: {}, unmask: {} };
  const result = await simulateSecAggRound({
    config: KAT_CONFIG,
    inputs: KAT_INPUTS,
    seed: KAT_SEED,
    dropAt: KAT_DROP,
    onReply: (r) => {
      if (r.stage === 'advertiseKeys') {
        const k = r.keys;
        stages.advertiseKeys[r.from] = { cPk: hex(k.cPk), sPk: hex(k.sPk), seedCommitment: hex(k.seedCommitment), signature: hex(k.signature) };
      } else if (r.stage === 'shareKeys') {
        // Shamir share bytes come from the audited library's own CSPRNG (not seedable): only the
        // addressing and the seeded nonces are deterministic here; the AEAD layer has its own KAT below.
        stages.shareKeys[r.from] = r.shares.map((s) => ({ to: s.to, nonce: hex(s.nonce), ciphertextLength: s.ciphertext.length }));
      } else if (r.stage === 'maskedInput') {
        stages.maskedInput[r.from] = { sha256: sha(r.masked), first16: hex(r.masked.subarray(0, 16)) };
      } else if (r.stage === 'consistency') {
        stages.consistency[r.from] = { signature: hex(r.signature) };
      } else {
        stages.unmask[r.from] = { seedSharesOf: r.seedShares.map((s) => s.of), keySharesOf: r.keyShares.map((s) => s.of) };
      }
    },
  });
  // AEAD share-envelope KAT with a fixed plaintext (p0 -> p1), key from the seeded X25519 keys.
  const ids = await makeIdentities(KAT_CONFIG.parties, KAT_SEED);
  const c0 = sodium.crypto_box_seed_keypair(new Uint8Array(32).fill(1));
  const c1 = sodium.crypto_box_seed_keypair(new Uint8Array(32).fill(2));
  const key = envelopeKey(sodium, c0.privateKey, c1.publicKey, KAT_CONFIG.roundId, 'p0', 'p1');
  const bundle = { seedShare: Uint8Array.from({ length: 33 }, (_, i) => i), keyShare: Uint8Array.from({ length: 33 }, (_, i) => 100 + i) };
  const env = sealShares(sodium, key, new Uint8Array(24).fill(7), KAT_CONFIG.roundId, 'p0', 'p1', bundle);
  const keyBack = envelopeKey(sodium, c1.privateKey, c0.publicKey, KAT_CONFIG.roundId, 'p0', 'p1');
  openShares(sodium, keyBack, KAT_CONFIG.roundId, 'p1', env); // must open
  return {
    description: 'Seeded 4-party round (t=3, Z_2^32), p3 drops after shareKeys; every deterministic byte per stage.',
    seed: KAT_SEED,
    config: { ...KAT_CONFIG, maxAbsValue: String(KAT_CONFIG.maxAbsValue) },
    inputs: KAT_INPUTS.map((v) => Array.from(v)),
    identityPublicKeys: Object.fromEntries([...ids].map(([p, k]) => [p, hex(k.publicKey)])),
    stages,
    envelope: {
      from: 'p0',
      to: 'p1',
      cSkSeedFrom: '01'.repeat(32),
      cSkSeedTo: '02'.repeat(32),
      key: hex(key),
      nonce: hex(env.nonce),
      plaintext: hex(Buffer.concat([bundle.seedShare, bundle.keyShare])),
      ciphertext: hex(env.ciphertext),
    },
    sum: sumToBigInts(result.sum).map(String),
    survivors: result.survivors,
    dropped: result.dropped,
  };
}

/** A negative case: a planted fault and the refusal it must cause. */
export interface NegativeCase {
  name: string;
  plant: (opts: SecAggSimulationOptions) => SecAggSimulationOptions;
}

const atStage = (stage: SecAggStage, to: string, f: (q: ServerRequest) => ServerRequest) => (t: string, q: ServerRequest) => (q.stage === stage && t === to ? f(q) : undefined);

export const NEGATIVE_CASES: NegativeCase[] = [
  {
    name: 'tampered-share',
    plant: (o) => ({
      ...o,
      onRequest: atStage('maskedInput', 'p1', (q) => (q.stage === 'maskedInput' ? { ...q, shares: q.shares.map((s, i) => (i === 0 ? { ...s, ciphertext: s.ciphertext.map((b, j) => (j === 3 ? b ^ 0x80 : b)) } : s)) } : q)),
    }),
  },
  {
    name: 'reused-nonce',
    plant: (o) => ({
      ...o,
      onRequest: atStage('maskedInput', 'p2', (q) => (q.stage === 'maskedInput' ? { ...q, shares: q.shares.map((s) => ({ ...s, nonce: q.shares[0].nonce })) } : q)),
    }),
  },
  {
    name: 'out-of-order-stage',
    plant: (o) => ({ ...o, onRequest: atStage('shareKeys', 'p0', () => ({ stage: 'unmask', roundId: KAT_CONFIG.roundId, survivors: [], signatures: [], seedsFor: [], keysFor: [] })) }),
  },
  {
    name: 'dropout-below-threshold',
    plant: (o) => ({ ...o, dropAt: new Map<string, SecAggStage>([['p3', 'maskedInput'], ['p2', 'consistency']]) }),
  },
];

/** Runs every negative case; returns name -> { code, stage } of the refusal. */
export async function negativeVectors(): Promise<Record<string, { code: string; stage: unknown; partyId: unknown }>> {
  const out: Record<string, { code: string; stage: unknown; partyId: unknown }> = {};
  for (const c of NEGATIVE_CASES) {
    try {
      await simulateSecAggRound(c.plant({ config: KAT_CONFIG, inputs: KAT_INPUTS, seed: KAT_SEED, dropAt: KAT_DROP }));
      out[c.name] = { code: 'NO_ERROR', stage: null, partyId: null };
    } catch (e) {
      const err = e instanceof FedsynthError ? e : new FedsynthError(ErrorCode.Internal, String(e));
      out[c.name] = { code: err.code, stage: err.details.failedStage ?? err.details.expected ?? err.details.stage ?? null, partyId: err.details.partyId ?? null };
    }
  }
  return out;
}
