// SecAggServer: the coordinator side of secure aggregation (Bonawitz et al., CCS 2017, Fig. 4):
// collects each stage's replies, relays, tracks survivors U1..U5, reconstructs secrets, outputs the sum.
import { combine } from 'shamir-secret-sharing';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { constantTimeEqual } from './constantTimeEqual.js';
import { applyMasks, deriveKey, type MaskTerm } from './MaskPrg.js';
import { addInto, decodeSigned, vectorFromBytes, wordCount, zeroVector, type SignedSum } from './ModularVector.js';
import { buildNeighbourGraph, type NeighbourGraph } from './NeighbourGraph.js';
import { validateRoundConfig, type RoundConfig } from './RoundConfig.js';
import type { EncryptedShare, PartyReply, ReplyOf, RevealedShare, ServerRequest, SignedKeys } from './SecAggMessages.js';
import { SECAGG_STAGES, type SecAggStage } from './SecAggStage.js';
import { consistencyPayload, seedCommitment, selfMaskLabel } from './SecAggTranscripts.js';
import { SHARE_LENGTH } from './ShareEnvelope.js';
import { pairMaskKey, verifyAdvertisement, type IdentityLookup } from './SecAggKeyChecks.js';
import { loadSodium, type Sodium } from './sodium.js';

/** What closing a stage yields: the next requests per party, or the final sum. */
export type StageOutcome =
  | { kind: 'requests'; stage: SecAggStage; requests: Map<string, ServerRequest> }
  | { kind: 'sum'; sum: SignedSum; survivors: string[]; dropped: string[] };

/** Where the server is: the stage whose replies it collects, or finished / failed. */
export type ServerState = SecAggStage | 'notStarted' | 'done' | 'failed';

/** The coordinator's side of one round. Construct with `SecAggServer.create`. */
export class SecAggServer {
  private stateValue: ServerState = 'notStarted';
  private readonly graph: NeighbourGraph;
  private readonly keys = new Map<string, SignedKeys>(); // U1
  private readonly shares = new Map<string, EncryptedShare[]>(); // U2: sender -> envelopes
  private readonly masked = new Map<string, Uint32Array>(); // U3
  private readonly signatures = new Map<string, Uint8Array>(); // U4
  private readonly reveals = new Map<string, ReplyOf<'unmask'>>(); // U5
  private u3: string[] = [];

  private constructor(
    private readonly sodium: Sodium,
    private readonly config: RoundConfig,
    private readonly pki: IdentityLookup,
  ) {
    validateRoundConfig(config);
    this.graph = buildNeighbourGraph(config);
  }

  static async create(config: RoundConfig, pki: IdentityLookup): Promise<SecAggServer> {
    return new SecAggServer(await loadSodium(), config, pki);
  }

  get state(): ServerState {
    return this.stateValue;
  }

  /** Opens the round: the advertiseKeys request for every party. */
  begin(): Map<string, ServerRequest> {
    if (this.stateValue !== 'notStarted') throw this.err(ErrorCode.OutOfStep, 'round already started');
    this.stateValue = 'advertiseKeys';
    return new Map(this.config.parties.map((p) => [p, { stage: 'advertiseKeys', roundId: this.config.roundId }]));
  }

  private err(code: ErrorCode, message: string, details: Record<string, unknown> = {}): FedsynthError {
    return new FedsynthError(code, message, { roundId: this.config.roundId, stage: this.stateValue, ...details });
  }

  /**
   * Accepts one party's reply to the current stage. A reply of another round or stage, from a party
   * not in the previous survivor set, or a repeat, is refused (OutOfStep / ProtocolViolation); a
   * malformed or wrongly signed reply is refused (ProtocolViolation / BadSignature) and that party
   * simply does not survive the stage. Refusals never change the server's state.
   */
  receive(reply: PartyReply): void {
    if (reply.roundId !== this.config.roundId) throw this.err(ErrorCode.OutOfStep, 'reply of another round', { got: reply.roundId });
    if (reply.stage !== this.stateValue) throw this.err(ErrorCode.OutOfStep, `server collects '${this.stateValue}', got '${reply.stage}'`, { from: reply.from });
    const from = reply.from;
    const previous = this.previousSurvivors(reply.stage);
    if (!previous.has(from)) throw this.err(ErrorCode.ProtocolViolation, 'reply from a party that is not a survivor of the previous stage', { from });
    switch (reply.stage) {
      case 'advertiseKeys':
        return this.receiveKeys(reply);
      case 'shareKeys':
        return this.receiveShares(reply);
      case 'maskedInput':
        return this.receiveMasked(reply);
      case 'consistency':
        return this.receiveSignature(reply);
      case 'unmask':
        return this.receiveReveal(reply);
    }
  }

  private previousSurvivors(stage: SecAggStage): ReadonlySet<string> {
    switch (stage) {
      case 'advertiseKeys':
        return new Set(this.config.parties);
      case 'shareKeys':
        return new Set(this.keys.keys());
      case 'maskedInput':
        return new Set(this.shares.keys());
      case 'consistency':
        return new Set(this.u3);
      case 'unmask':
        return new Set(this.signatures.keys());
    }
  }

  private receiveKeys(reply: ReplyOf<'advertiseKeys'>): void {
    if (this.keys.has(reply.from)) throw this.err(ErrorCode.ProtocolViolation, 'repeated reply', { from: reply.from });
    if (reply.keys.partyId !== reply.from) throw this.err(ErrorCode.ProtocolViolation, 'keys name another party', { from: reply.from });
    verifyAdvertisement(this.sodium, this.config.roundId, reply.keys, this.pki, 'coordinator');
    for (const other of this.keys.values()) {
      for (const a of [reply.keys.cPk, reply.keys.sPk]) {
        if (constantTimeEqual(a, other.cPk) || constantTimeEqual(a, other.sPk)) {
          throw this.err(ErrorCode.ProtocolViolation, 'advertised public key repeats another party\'s', { from: reply.from });
        }
      }
    }
    this.keys.set(reply.from, reply.keys);
  }

  /**
   * Envelopes may be positional (every `to` empty: the i-th is for the sender's i-th neighbour in
   * round order, as SecAggParty deals them); the recipients are filled in before the checks. A
   * misplaced envelope fails its AEAD at the recipient (the associated data names both ends).
   */
  private receiveShares(reply: ReplyOf<'shareKeys'>): void {
    if (this.shares.has(reply.from)) throw this.err(ErrorCode.ProtocolViolation, 'repeated reply', { from: reply.from });
    const expected = this.holdersOf(reply.from, new Set(this.keys.keys())).filter((p) => p !== reply.from);
    if (reply.shares.length > 0 && reply.shares.every((s) => s.to === '') && reply.shares.length === expected.length) {
      reply = { ...reply, shares: reply.shares.map((s, i) => ({ ...s, to: expected[i] })) };
    }
    const got = reply.shares.map((s) => s.to);
    const ok =
      reply.shares.every((s) => s.from === reply.from) &&
      got.length === expected.length &&
      new Set(got).size === got.length &&
      got.every((p) => expected.includes(p));
    if (!ok) throw this.err(ErrorCode.ProtocolViolation, 'share envelopes do not address exactly the sender\'s neighbours', { from: reply.from });
    this.shares.set(reply.from, reply.shares);
  }

  private receiveMasked(reply: ReplyOf<'maskedInput'>): void {
    if (this.masked.has(reply.from)) throw this.err(ErrorCode.ProtocolViolation, 'repeated reply', { from: reply.from });
    const words = wordCount(this.config.vectorLength, this.config.modulusBits);
    if (reply.masked.byteLength !== words * 4) {
      throw this.err(ErrorCode.ProtocolViolation, 'masked input has the wrong length', { from: reply.from, bytes: reply.masked.byteLength });
    }
    this.masked.set(reply.from, vectorFromBytes(reply.masked));
  }

  private receiveSignature(reply: ReplyOf<'consistency'>): void {
    if (this.signatures.has(reply.from)) throw this.err(ErrorCode.ProtocolViolation, 'repeated reply', { from: reply.from });
    const pk = this.pki(reply.from);
    if (!pk || !this.sodium.crypto_sign_verify_detached(reply.signature, consistencyPayload(this.config.roundId, this.u3), pk)) {
      throw this.err(ErrorCode.BadSignature, 'consistency signature does not verify', { from: reply.from });
    }
    this.signatures.set(reply.from, reply.signature);
  }

  private receiveReveal(reply: ReplyOf<'unmask'>): void {
    if (this.reveals.has(reply.from)) throw this.err(ErrorCode.ProtocolViolation, 'repeated reply', { from: reply.from });
    const { seedsFor, keysFor } = this.unmaskTargets(reply.from);
    // Revealed shares may be positional (`of` empty): the i-th is of the i-th party requested.
    const check = (list: RevealedShare[], allowed: string[]): boolean =>
      list.length === allowed.length && list.every((s, i) => (s.of === allowed[i] || s.of === '') && s.share.length === SHARE_LENGTH);
    if (!check(reply.seedShares, seedsFor) || !check(reply.keyShares, keysFor)) {
      throw this.err(ErrorCode.ProtocolViolation, 'revealed shares do not match the request', { from: reply.from });
    }
    const place = (list: RevealedShare[], allowed: string[]): RevealedShare[] => list.map((s, i) => ({ of: allowed[i], share: s.share }));
    this.reveals.set(reply.from, { ...reply, seedShares: place(reply.seedShares, seedsFor), keyShares: place(reply.keyShares, keysFor) });
  }

  /** Parties that hold shares of `p`: p itself and its neighbours among `pool` (config order). */
  private holdersOf(p: string, pool: ReadonlySet<string>): string[] {
    const nb = this.graph.neighbours.get(p)!;
    return this.config.parties.filter((q) => q === p || (nb.has(q) && pool.has(q)));
  }

  private u2(): string[] {
    return this.config.parties.filter((p) => this.shares.has(p));
  }

  private unmaskTargets(holder: string): { seedsFor: string[]; keysFor: string[] } {
    const u3 = new Set(this.u3);
    const u2 = new Set(this.u2());
    const nb = this.graph.neighbours.get(holder)!;
    return {
      seedsFor: this.u3.filter((p) => p === holder || nb.has(p)),
      keysFor: this.config.parties.filter((p) => u2.has(p) && !u3.has(p) && nb.has(p)),
    };
  }

  /**
   * Closes the current stage. Fewer than t survivors fails the round with TooFewSurvivors; then
   * nothing more is requested, so nothing is revealed. Otherwise returns the next stage's
   * requests, or after 'unmask' the reconstructed sum.
   */
  async close(): Promise<StageOutcome> {
    const stage = this.stateValue;
    if (stage === 'notStarted' || stage === 'done' || stage === 'failed') throw this.err(ErrorCode.OutOfStep, 'no stage is open');
    const survivors = this.survivorsOf(stage);
    if (survivors.length < this.config.threshold) {
      this.stateValue = 'failed';
      throw this.err(ErrorCode.TooFewSurvivors, `only ${survivors.length} parties survived stage '${stage}', threshold is ${this.config.threshold}`, {
        survivors: survivors.length,
        threshold: this.config.threshold,
        failedStage: stage,
      });
    }
    const next = SECAGG_STAGES[SECAGG_STAGES.indexOf(stage) + 1];
    if (next === undefined) {
      try {
        const sum = await this.reconstruct();
        this.stateValue = 'done';
        const u3 = new Set(this.u3);
        return { kind: 'sum', sum, survivors: this.u3, dropped: this.u2().filter((p) => !u3.has(p)) };
      } catch (e) {
        this.stateValue = 'failed';
        throw e;
      }
    }
    const requests = new Map<string, ServerRequest>();
    const roundId = this.config.roundId;
    if (stage === 'advertiseKeys') {
      const keys = this.config.parties.filter((p) => this.keys.has(p)).map((p) => this.keys.get(p)!);
      for (const p of survivors) requests.set(p, { stage: 'shareKeys', roundId, keys });
    } else if (stage === 'shareKeys') {
      const inbox = new Map<string, EncryptedShare[]>(survivors.map((p) => [p, []]));
      for (const p of survivors) for (const env of this.shares.get(p)!) inbox.get(env.to)?.push(env);
      for (const p of survivors) requests.set(p, { stage: 'maskedInput', roundId, shares: inbox.get(p)! });
    } else if (stage === 'maskedInput') {
      this.u3 = survivors;
      for (const p of survivors) requests.set(p, { stage: 'consistency', roundId, survivors: [...this.u3] });
    } else {
      const signatures = survivors.map((p) => ({ partyId: p, signature: this.signatures.get(p)! }));
      for (const p of survivors) requests.set(p, { stage: 'unmask', roundId, survivors: [...this.u3], signatures, ...this.unmaskTargets(p) });
    }
    this.stateValue = next;
    return { kind: 'requests', stage: next, requests };
  }

  private survivorsOf(stage: SecAggStage): string[] {
    const m: ReadonlyMap<string, unknown> =
      stage === 'advertiseKeys' ? this.keys : stage === 'shareKeys' ? this.shares : stage === 'maskedInput' ? this.masked : stage === 'consistency' ? this.signatures : this.reveals;
    return this.config.parties.filter((p) => m.has(p));
  }

  /** Collects the shares revealed for `of` and combines them (needs the neighbourhood threshold). */
  private async recover(of: string, kind: 'seedShares' | 'keyShares'): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (const r of this.reveals.values()) {
      const s = r[kind].find((x) => x.of === of);
      if (s) parts.push(s.share);
    }
    if (parts.length < this.graph.shareThreshold) {
      throw this.err(ErrorCode.TooFewSurvivors, `too few shares to reconstruct the ${kind === 'seedShares' ? 'seed' : 'key'} of ${of}`, {
        of,
        shares: parts.length,
        threshold: this.graph.shareThreshold,
      });
    }
    try {
      return await combine(parts);
    } catch {
      throw this.err(ErrorCode.VerificationFailed, 'revealed shares are inconsistent', { of });
    }
  }

  /**
   * z = sum of y_u over U3, minus self masks of U3, minus the pairwise masks survivors had with
   * dropouts. All secrets are reconstructed and checked first; then the masks are removed in one
   * fused pass over the accumulator (applyMasks).
   */
  private async reconstruct(): Promise<SignedSum> {
    const { config: cfg, sodium } = this;
    const bits = cfg.modulusBits;
    const terms: MaskTerm[] = [];
    for (const p of this.u3) {
      const seed = await this.recover(p, 'seedShares');
      if (!constantTimeEqual(seedCommitment(cfg.roundId, p, seed), this.keys.get(p)!.seedCommitment)) {
        throw this.err(ErrorCode.VerificationFailed, 'reconstructed self-mask seed does not match its commitment', { of: p });
      }
      terms.push({ key: deriveKey(seed, cfg.roundId, selfMaskLabel(p)), sign: -1 });
    }
    const u3 = new Set(this.u3);
    for (const v of this.u2()) {
      if (u3.has(v)) continue;
      const sk = await this.recover(v, 'keyShares');
      if (!constantTimeEqual(sodium.crypto_scalarmult_base(sk), this.keys.get(v)!.sPk)) {
        throw this.err(ErrorCode.VerificationFailed, 'reconstructed mask key does not match the advertised public key', { of: v });
      }
      const vIndex = cfg.parties.indexOf(v);
      for (const u of this.u3) {
        if (!this.graph.neighbours.get(v)!.has(u)) continue;
        const key = pairMaskKey(sodium, cfg, sk, this.keys.get(u)!.sPk, v, u);
        // u added +mask if u precedes v in config order, -mask otherwise: undo exactly that.
        terms.push({ key, sign: cfg.parties.indexOf(u) < vIndex ? -1 : 1 });
      }
      sk.fill(0);
    }
    const acc = zeroVector(cfg.vectorLength, bits);
    for (const p of this.u3) addInto(acc, this.masked.get(p)!, bits);
    applyMasks(acc, terms, bits);
    for (const t of terms) t.key.fill(0);
    this.masked.clear();
    return decodeSigned(acc, bits);
  }
}
