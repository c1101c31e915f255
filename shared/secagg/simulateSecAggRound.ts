// simulateSecAggRound: an in-process driver that plays coordinator and parties through one full round,
// with scheduled dropouts, for tests, known-answer vectors and benches (no transport, no I/O).
import { seededRandomSource, cryptoRandomSource, type RandomSource } from '../dp/random/RandomSource.js';
import type { RoundConfig } from './RoundConfig.js';
import { messageBytes, type PartyReply, type ServerRequest } from './SecAggMessages.js';
import { SecAggParty, type IdentityLookup } from './SecAggParty.js';
import { SecAggServer, type StageOutcome } from './SecAggServer.js';
import type { SecAggStage } from './SecAggStage.js';
import type { SignedSum, SignedVector } from './ModularVector.js';
import { loadSodium } from './sodium.js';

/** One run's inputs. */
export interface SecAggSimulationOptions {
  config: RoundConfig;
  /** Input of each party, in config.parties order. */
  inputs: readonly SignedVector[];
  /** Seed for reproducible runs (party i uses stream `party/<i>/secagg`); omit for a CSPRNG. */
  seed?: string;
  /** Party id -> the stage whose reply it never sends (it drops out there, and stays out). */
  dropAt?: ReadonlyMap<string, SecAggStage>;
  /** Identity secret keys by party (default: derived from the seed, stream `party/<i>/identity`). */
  identities?: ReadonlyMap<string, { publicKey: Uint8Array; privateKey: Uint8Array }>;
  /** Sees every coordinator -> party message (transcripts, fault planting); may return a replacement. */
  onRequest?: (to: string, request: ServerRequest) => ServerRequest | void;
  /** Sees every party -> coordinator message; may return a replacement. */
  onReply?: (reply: PartyReply) => PartyReply | void;
  /** Clock in seconds for the per-party / server timings (default performance.now; benches pass a CPU clock). */
  clock?: () => number;
}

/** One run's result and its traffic. */
export interface SecAggSimulationResult {
  sum: SignedSum;
  survivors: string[];
  dropped: string[];
  /** Bytes each party sent (over all stages), by party id. */
  bytesSent: Map<string, number>;
  /** Bytes each party received, by party id. */
  bytesReceived: Map<string, number>;
  /** Seconds (by `options.clock`) each party spent handling its requests: in a deployment these run in parallel. */
  partySeconds: Map<string, number>;
  /** Seconds (by `options.clock`) the coordinator's SecAggServer spent receiving replies and closing stages. */
  serverSeconds: number;
}



/** Ed25519 identities for parties: seeded (reproducible) or from the CSPRNG. */
export async function makeIdentities(parties: readonly string[], seed?: string): Promise<Map<string, { publicKey: Uint8Array; privateKey: Uint8Array }>> {
  const sodium = await loadSodium();
  const out = new Map<string, { publicKey: Uint8Array; privateKey: Uint8Array }>();
  parties.forEach((p, i) => {
    const rng: RandomSource = seed === undefined ? cryptoRandomSource() : seededRandomSource(seed, `party/${i}/identity`);
    const kp = sodium.crypto_sign_seed_keypair(rng.nextBytes(32));
    out.set(p, { publicKey: kp.publicKey, privateKey: kp.privateKey });
  });
  return out;
}

/**
 * Runs one round to the end. Resolves with the exact sum of the inputs of U3, or rejects with the
 * first FedsynthError (e.g. TooFewSurvivors when fewer than t remain at some stage).
 */
export async function simulateSecAggRound(opts: SecAggSimulationOptions): Promise<SecAggSimulationResult> {
  const { config } = opts;
  const identities = opts.identities ?? (await makeIdentities(config.parties, opts.seed));
  const pki: IdentityLookup = (id) => identities.get(id)?.publicKey;
  const parties = new Map<string, SecAggParty>();
  for (const [i, p] of config.parties.entries()) {
    const rng = opts.seed === undefined ? cryptoRandomSource() : seededRandomSource(opts.seed, `party/${i}/secagg`);
    parties.set(p, await SecAggParty.create({ config, partyId: p, identitySecretKey: identities.get(p)!.privateKey, pki, rng, input: opts.inputs[i] }));
  }
  const server = await SecAggServer.create(config, pki);
  const sent = new Map(config.parties.map((p) => [p, 0]));
  const received = new Map(config.parties.map((p) => [p, 0]));
  const clock = opts.clock ?? ((): number => performance.now() / 1000);
  const partyTime = new Map(config.parties.map((p) => [p, 0]));
  let serverTime = 0;
  const gone = new Set<string>();
  let requests = server.begin();
  for (;;) {
    for (const [to, original] of requests) {
      if (gone.has(to)) continue;
      const request = opts.onRequest?.(to, original) ?? original;
      received.set(to, received.get(to)! + messageBytes(request));
      const t0 = clock();
      const honest = await parties.get(to)!.handle(request);
      partyTime.set(to, partyTime.get(to)! + clock() - t0);
      if (opts.dropAt?.get(to) === request.stage) {
        gone.add(to);
        continue;
      }
      const reply = opts.onReply?.(honest) ?? honest;
      sent.set(to, sent.get(to)! + messageBytes(reply));
      const t1 = clock();
      server.receive(reply);
      serverTime += clock() - t1;
    }
    const t2 = clock();
    const outcome: StageOutcome = await server.close();
    serverTime += clock() - t2;
    if (outcome.kind === 'sum') {
      return { sum: outcome.sum, survivors: outcome.survivors, dropped: outcome.dropped, bytesSent: sent, bytesReceived: received, partySeconds: partyTime, serverSeconds: serverTime };
    }
    requests = outcome.requests;
  }
}
