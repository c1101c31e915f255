// SecAggParty: the party side of secure aggregation (Bonawitz et al., CCS 2017, Fig. 4; SecAgg+ of
// Bell et al., CCS 2020 when sparse), a state machine that accepts only the next stage's request.
import { split } from 'shamir-secret-sharing';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { constantTimeEqual } from './constantTimeEqual.js';
import { applyMasks, deriveKey, type MaskTerm } from './MaskPrg.js';
import { encodeSigned, vectorToBytes, type SignedVector } from './ModularVector.js';
import { buildNeighbourGraph, type NeighbourGraph } from './NeighbourGraph.js';
import { RevealLedger } from './RevealLedger.js';
import { effectiveMaxAbsValue, validateRoundConfig, type RoundConfig } from './RoundConfig.js';
import type { EncryptedShare, PartyReply, ReplyOf, RequestOf, RevealedShare, ServerRequest, SignedKeys } from './SecAggMessages.js';
import { SECAGG_STAGES, type SecAggStage } from './SecAggStage.js';
import { advertisePayload, consistencyPayload, seedCommitment, selfMaskLabel } from './SecAggTranscripts.js';
import { envelopeKey, openShares, sealShares, type ShareBundle } from './ShareEnvelope.js';
import { loadSodium, type Sodium } from './sodium.js';
import { pairMaskKey, verifyAdvertisement, type IdentityLookup } from './SecAggKeyChecks.js';

export type { IdentityLookup } from './SecAggKeyChecks.js';


/** What a party needs for one round. */
export interface SecAggPartyOptions {
  config: RoundConfig;
  partyId: string;
  /** This party's Ed25519 identity secret key (64 bytes, libsodium format). */
  identitySecretKey: Uint8Array;
  pki: IdentityLookup;
  /** Randomness for keys, seeds and nonces (stream `party/<i>/secagg` under --seed). */
  rng: RandomSource;
  /** The integer vector to aggregate (length config.vectorLength, |x| <= maxAbsValue). */
  input: SignedVector;
}

/** Where the party is: the next stage it accepts, or finished / aborted. */
export type PartyState = SecAggStage | 'done' | 'aborted';

interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** One party's side of one round. Construct with `SecAggParty.create`. */
export class SecAggParty {
  private stateValue: PartyState = 'advertiseKeys';
  private readonly graph: NeighbourGraph;
  private readonly myNeighbours: ReadonlySet<string>;
  private cKeys?: KeyPair;
  private sKeys?: KeyPair;
  private selfSeed?: Uint8Array;
  private directory = new Map<string, SignedKeys>();
  /** Shares this party holds: its own and those received from neighbours in U2. */
  private held = new Map<string, ShareBundle>();
  private survivors?: string[];
  private readonly ledger = new RevealLedger();
  private readonly seenNonces = new Set<string>();

  private constructor(
    private readonly sodium: Sodium,
    private readonly opts: SecAggPartyOptions,
  ) {
    validateRoundConfig(opts.config);
    if (!opts.config.parties.includes(opts.partyId)) {
      throw new FedsynthError(ErrorCode.InvalidConfig, 'party is not in the round', { partyId: opts.partyId, roundId: opts.config.roundId });
    }
    this.graph = buildNeighbourGraph(opts.config);
    this.myNeighbours = this.graph.neighbours.get(opts.partyId)!;
  }

  /** Creates a party once libsodium is ready. */
  static async create(opts: SecAggPartyOptions): Promise<SecAggParty> {
    return new SecAggParty(await loadSodium(), opts);
  }

  /** The next stage this party accepts ('done' after unmask, 'aborted' after a refusal of malice). */
  get state(): PartyState {
    return this.stateValue;
  }

  get partyId(): string {
    return this.opts.partyId;
  }

  /**
   * Handles the coordinator's request for the next stage and returns this party's reply.
   * A request for any other stage, or of another round, is refused with OutOfStep and changes
   * nothing (so late or replayed messages cannot disrupt the round). A request that is malformed
   * or malicious is refused (ProtocolViolation, BadSignature, TooFewSurvivors, InvalidData) and
   * aborts the party: it then refuses everything, and has revealed nothing beyond what it sent.
   */
  async handle(req: ServerRequest): Promise<PartyReply> {
    const cfg = this.opts.config;
    if (req.roundId !== cfg.roundId) {
      throw new FedsynthError(ErrorCode.OutOfStep, 'message of another round', { expected: cfg.roundId, got: req.roundId, partyId: this.partyId });
    }
    if (this.stateValue !== req.stage) {
      throw new FedsynthError(ErrorCode.OutOfStep, `party expects '${this.stateValue}', got '${req.stage}'`, {
        partyId: this.partyId,
        expected: this.stateValue,
        got: req.stage,
      });
    }
    try {
      const reply = await this.dispatch(req);
      const i = SECAGG_STAGES.indexOf(req.stage);
      this.stateValue = SECAGG_STAGES[i + 1] ?? 'done';
      return reply;
    } catch (e) {
      this.stateValue = 'aborted';
      this.wipe();
      if (e instanceof FedsynthError && e.details.partyId === undefined) {
        throw new FedsynthError(e.code, e.message, { ...e.details, partyId: this.partyId, roundId: this.opts.config.roundId });
      }
      throw e;
    }
  }

  private async dispatch(req: ServerRequest): Promise<PartyReply> {
    switch (req.stage) {
      case 'advertiseKeys':
        return this.advertiseKeys();
      case 'shareKeys':
        return this.shareKeys(req);
      case 'maskedInput':
        return this.maskedInput(req);
      case 'consistency':
        return this.consistency(req);
      case 'unmask':
        return this.unmask(req);
    }
  }

  private refuse(code: ErrorCode, message: string, details: Record<string, unknown> = {}): never {
    throw new FedsynthError(code, message, { partyId: this.partyId, roundId: this.opts.config.roundId, ...details });
  }

  /** Round 0: two fresh X25519 key pairs from seeded bytes, a self-mask seed, all signed. */
  private advertiseKeys(): ReplyOf<'advertiseKeys'> {
    const { sodium, opts } = this;
    this.cKeys = sodium.crypto_box_seed_keypair(opts.rng.nextBytes(32));
    this.sKeys = sodium.crypto_box_seed_keypair(opts.rng.nextBytes(32));
    this.selfSeed = opts.rng.nextBytes(32);
    const commitment = seedCommitment(opts.config.roundId, opts.partyId, this.selfSeed);
    const payload = advertisePayload(opts.config.roundId, opts.partyId, this.cKeys.publicKey, this.sKeys.publicKey, commitment);
    const keys: SignedKeys = {
      partyId: opts.partyId,
      cPk: this.cKeys.publicKey,
      sPk: this.sKeys.publicKey,
      seedCommitment: commitment,
      signature: sodium.crypto_sign_detached(payload, opts.identitySecretKey),
    };
    return { stage: 'advertiseKeys', roundId: opts.config.roundId, from: opts.partyId, keys };
  }

  /** Round 1: verify every advertisement against the PKI, then deal Shamir shares to neighbours. */
  private async shareKeys(req: RequestOf<'shareKeys'>): Promise<ReplyOf<'shareKeys'>> {
    const { sodium, opts } = this;
    const cfg = opts.config;
    const seenKeys = new Set<string>();
    for (const k of req.keys) {
      if (!cfg.parties.includes(k.partyId) || this.directory.has(k.partyId)) {
        this.refuse(ErrorCode.ProtocolViolation, 'key list names an unknown or repeated party', { peer: k.partyId });
      }
      verifyAdvertisement(sodium, cfg.roundId, k, opts.pki, this.partyId);
      for (const pk of [k.cPk, k.sPk]) {
        const hex = Buffer.from(pk).toString('hex');
        if (seenKeys.has(hex)) this.refuse(ErrorCode.ProtocolViolation, 'two advertised public keys are equal', { peer: k.partyId });
        seenKeys.add(hex);
      }
      this.directory.set(k.partyId, k);
    }
    const mine = this.directory.get(this.partyId);
    if (!mine || !constantTimeEqual(mine.cPk, this.cKeys!.publicKey) || !constantTimeEqual(mine.sPk, this.sKeys!.publicKey)) {
      this.refuse(ErrorCode.ProtocolViolation, 'key list does not carry this party\'s own keys');
    }
    if (this.directory.size < cfg.threshold) {
      this.refuse(ErrorCode.TooFewSurvivors, 'fewer than t parties advertised keys', { survivors: this.directory.size, threshold: cfg.threshold });
    }
    const holders = cfg.parties.filter((p) => p === this.partyId || (this.myNeighbours.has(p) && this.directory.has(p)));
    const tk = this.graph.shareThreshold;
    if (holders.length < tk) {
      this.refuse(ErrorCode.TooFewSurvivors, 'too few neighbours advertised keys to share secrets', { holders: holders.length, threshold: tk });
    }
    const seedShares = await split(this.selfSeed!, holders.length, tk);
    const keyShares = await split(this.sKeys!.privateKey, holders.length, tk);
    const shares: EncryptedShare[] = [];
    holders.forEach((to, i) => {
      const bundle = { seedShare: seedShares[i], keyShare: keyShares[i] };
      if (to === this.partyId) {
        this.held.set(to, bundle);
        return;
      }
      const key = envelopeKey(sodium, this.cKeys!.privateKey, this.directory.get(to)!.cPk, cfg.roundId, this.partyId, to);
      shares.push(sealShares(sodium, key, opts.rng.nextBytes(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES), cfg.roundId, this.partyId, to, bundle));
    });
    return { stage: 'shareKeys', roundId: cfg.roundId, from: this.partyId, shares };
  }

  /** Round 2: open the shares addressed here (their senders form U2), then send the masked input. */
  private maskedInput(req: RequestOf<'maskedInput'>): ReplyOf<'maskedInput'> {
    const { sodium, opts } = this;
    const cfg = opts.config;
    for (const env of req.shares) {
      const sender = this.directory.get(env.from);
      if (!sender || env.from === this.partyId || !this.myNeighbours.has(env.from) || this.held.has(env.from)) {
        this.refuse(ErrorCode.ProtocolViolation, 'share from an unexpected or repeated sender', { peer: env.from });
      }
      const nonceHex = Buffer.from(env.nonce).toString('hex');
      if (this.seenNonces.has(nonceHex)) this.refuse(ErrorCode.ProtocolViolation, 'reused nonce in share envelopes', { peer: env.from });
      this.seenNonces.add(nonceHex);
      const key = envelopeKey(sodium, this.cKeys!.privateKey, sender.cPk, cfg.roundId, env.from, this.partyId);
      this.held.set(env.from, openShares(sodium, key, cfg.roundId, this.partyId, env));
    }
    if (this.held.size < this.graph.shareThreshold) {
      this.refuse(ErrorCode.TooFewSurvivors, 'too few neighbours sent shares', { holders: this.held.size, threshold: this.graph.shareThreshold });
    }
    if (opts.input.length !== cfg.vectorLength) {
      this.refuse(ErrorCode.InvalidData, 'input vector has the wrong length', { expected: cfg.vectorLength, got: opts.input.length });
    }
    const bits = cfg.modulusBits;
    const y = encodeSigned(opts.input, bits, effectiveMaxAbsValue(cfg));
    const terms: MaskTerm[] = [{ key: deriveKey(this.selfSeed!, cfg.roundId, selfMaskLabel(this.partyId)), sign: 1 }];
    const myIndex = cfg.parties.indexOf(this.partyId);
    cfg.parties.forEach((v, vIndex) => {
      if (v === this.partyId || !this.held.has(v)) return;
      const key = pairMaskKey(sodium, cfg, this.sKeys!.privateKey, this.directory.get(v)!.sPk, this.partyId, v);
      terms.push({ key, sign: myIndex < vIndex ? 1 : -1 });
    });
    applyMasks(y, terms, bits); // one pass over y for the self mask and all pairwise masks
    for (const t of terms) t.key.fill(0);
    return { stage: 'maskedInput', roundId: cfg.roundId, from: this.partyId, masked: vectorToBytes(y) };
  }

  /** Round 3: check and sign the survivor set U3. */
  private consistency(req: RequestOf<'consistency'>): ReplyOf<'consistency'> {
    const cfg = this.opts.config;
    const set = new Set(req.survivors);
    if (set.size !== req.survivors.length || !set.has(this.partyId) || req.survivors.some((p) => !this.directory.has(p))) {
      this.refuse(ErrorCode.ProtocolViolation, 'survivor list is malformed');
    }
    for (const p of req.survivors) {
      if (this.myNeighbours.has(p) && !this.held.has(p)) this.refuse(ErrorCode.ProtocolViolation, 'survivor did not share keys', { peer: p });
    }
    if (set.size < cfg.threshold) this.refuse(ErrorCode.TooFewSurvivors, 'fewer than t survivors', { survivors: set.size, threshold: cfg.threshold });
    this.survivors = cfg.parties.filter((p) => set.has(p));
    const signature = this.sodium.crypto_sign_detached(consistencyPayload(cfg.roundId, this.survivors), this.opts.identitySecretKey);
    return { stage: 'consistency', roundId: cfg.roundId, from: this.partyId, signature };
  }

  /** Round 4: verify t signatures over U3, then reveal seed shares of survivors, key shares of dropouts. */
  private unmask(req: RequestOf<'unmask'>): ReplyOf<'unmask'> {
    const { sodium, opts } = this;
    const cfg = opts.config;
    const u3 = new Set(this.survivors!);
    const asked = cfg.parties.filter((p) => req.survivors.includes(p));
    if (asked.length !== u3.size || req.survivors.length !== u3.size || asked.some((p) => !u3.has(p))) {
      this.refuse(ErrorCode.ProtocolViolation, 'unmask request names a different survivor set than the one signed');
    }
    const payload = consistencyPayload(cfg.roundId, this.survivors!);
    const signers = new Set<string>();
    for (const s of req.signatures) {
      if (!u3.has(s.partyId) || signers.has(s.partyId)) this.refuse(ErrorCode.ProtocolViolation, 'consistency signature from a non-survivor or repeated', { peer: s.partyId });
      const pk = opts.pki(s.partyId);
      if (!pk || !sodium.crypto_sign_verify_detached(s.signature, payload, pk)) {
        this.refuse(ErrorCode.BadSignature, 'consistency signature does not verify', { peer: s.partyId });
      }
      signers.add(s.partyId);
    }
    if (signers.size < cfg.threshold) this.refuse(ErrorCode.TooFewSurvivors, 'fewer than t consistency signatures', { signers: signers.size, threshold: cfg.threshold });
    const seeds = new Set(req.seedsFor);
    for (const p of req.keysFor) {
      if (seeds.has(p) || u3.has(p)) this.refuse(ErrorCode.ProtocolViolation, 'coordinator asked for the key share of a survivor (both secrets of one peer)', { peer: p });
      if (!this.held.has(p)) this.refuse(ErrorCode.ProtocolViolation, 'key share requested for a party this one holds no share of', { peer: p });
    }
    for (const p of seeds) {
      if (!u3.has(p)) this.refuse(ErrorCode.ProtocolViolation, 'seed share requested for a dropped party', { peer: p });
      if (!this.held.has(p)) this.refuse(ErrorCode.ProtocolViolation, 'seed share requested for a party this one holds no share of', { peer: p });
    }
    const seedShares: RevealedShare[] = [];
    const keyShares: RevealedShare[] = [];
    for (const p of cfg.parties) {
      if (seeds.has(p)) {
        this.ledger.reveal(p, 'seed');
        seedShares.push({ of: p, share: this.held.get(p)!.seedShare });
      }
    }
    for (const p of cfg.parties) {
      if (req.keysFor.includes(p)) {
        this.ledger.reveal(p, 'key');
        keyShares.push({ of: p, share: this.held.get(p)!.keyShare });
      }
    }
    this.wipe();
    return { stage: 'unmask', roundId: cfg.roundId, from: this.partyId, seedShares, keyShares };
  }

  /** Drops round secrets (best effort: JS cannot guarantee memory is cleared). */
  private wipe(): void {
    this.cKeys?.privateKey.fill(0);
    this.sKeys?.privateKey.fill(0);
    this.selfSeed?.fill(0);
    this.held.clear();
  }
}
