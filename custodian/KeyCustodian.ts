// KeyCustodian: the key-custodian role of homomorphic aggregation — one durable BFV key pair per
// study, and decryption of aggregate SUMS only: at least t distinct contributors, once per round and charge key.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import type { HeParams } from '../shared/he/HeParameters.js';
import type { HeAggregate } from '../shared/he/HeMessages.js';
import { sumFromWire, sumToWire } from '../platform/wire/heWire.js';
import { CustodianStore, type StoredDecryption } from './CustodianStore.js';
import { HeKeyPair } from './HeKeyPair.js';
import type { CrashHook } from '../platform/testing/crashHook.js';
import type { StudySpec } from '../shared/study/StudySpec.js';
import { custodianKeyThreshold, custodianThresholdFloor } from '../shared/he/custodianThreshold.js';
import { studySpecHash } from '../platform/wire/studySpecHash.js';

export interface KeyCustodianOptions {
  /** Directory of the custodian's state (custodian.sqlite, mode 0600, holds the secret keys). */
  stateDir: string;
  /** The custodian's own floor for t: no key has a lower threshold, whatever is requested. */
  minContributors?: number;
  log: Logger;
  audit?: (event: string, details: Record<string, unknown>) => void;
  /** Test-only fault injection (platform/testing/crashHook): `custodian.decrypt` once a decryption is recorded, before its sum leaves. */
  crashAt?: CrashHook;
}

/** A study's public key as the custodian hands it out. */
export interface CustodianKey {
  keyId: string;
  publicKey: Uint8Array;
  params: HeParams;
  minContributors: number;
  /** studySpecHash of the announced study the key was made for (signed into its endorsement). */
  specHash: string;
}

/** The study as announced to the parties: what the custodian derives a key's t from. */
export interface AnnouncedStudy {
  spec: StudySpec;
  /** The invited parties, in announcement order (part of the spec hash). */
  parties: readonly string[];
}

export class KeyCustodian {
  private readonly store: CustodianStore;
  private readonly loaded = new Map<string, Promise<HeKeyPair>>();
  private readonly floor: number;

  constructor(private readonly o: KeyCustodianOptions) {
    mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
    this.store = new CustodianStore(join(o.stateDir, 'custodian.sqlite'));
    this.floor = Math.max(1, Math.floor(o.minContributors ?? 2));
  }

  static keyIdOf(studyId: string, params: HeParams): string {
    return `${studyId}#bfv-${params.polyModulusDegree}-${params.plainModulusBits}`;
  }

  /**
   * The study's public key: created (and stored) on the first request, the same afterwards. The
   * key's t is never taken on trust: the custodian derives its floor from the announced study and
   * its own --min-contributors (shared/he/custodianThreshold) and refuses a request below it
   * (THRESHOLD_BELOW_PLAN, audited); the key is bound to the study's spec hash, and a later request
   * for it with another spec is refused (SPEC_CHANGED). t is fixed at creation.
   */
  async publicKey(req: { studyId: string; params: HeParams; minContributors: number; study: AnnouncedStudy | undefined }): Promise<CustodianKey> {
    const refuse = (code: ErrorCode, message: string, field: string, details: Record<string, unknown> = {}): never => {
      this.o.audit?.('custodian.refused', { studyId: req.studyId, reason: message, code, field });
      throw new FedsynthError(code, message, { field, ...details });
    };
    if (!req.studyId) refuse(ErrorCode.InvalidArgument, 'key request without a study id', 'key_request.study_id');
    const study = req.study;
    if (!study) return refuse(ErrorCode.InvalidArgument, 'key request without the announced study: the custodian derives t from it', 'key_request.spec');
    const { spec, parties } = study;
    if (spec.studyId !== req.studyId) refuse(ErrorCode.ProtocolViolation, `key request for study ${req.studyId} carries the spec of study ${spec.studyId}`, 'key_request.spec.study_id');
    // (Any mode: a party may serve HE rounds of a study approved in another mode, policy.extraRoundModes.)
    if (parties.length === 0 || new Set(parties).size !== parties.length) refuse(ErrorCode.ProtocolViolation, 'key request names no invited parties, or one twice', 'key_request.parties');
    const terms = { minParties: spec.minParties, colluders: spec.colluders, dropouts: spec.dropouts, invited: parties.length };
    let t: number;
    try {
      t = custodianKeyThreshold(terms, this.floor, req.minContributors);
    } catch (e) {
      const err = e as FedsynthError;
      return refuse(err.code, err.message, String(err.details.field ?? 'key_request'), err.details);
    }
    const specHash = studySpecHash(spec, parties);
    const keyId = KeyCustodian.keyIdOf(req.studyId, req.params);
    let stored = this.store.key(keyId);
    if (stored && stored.specHash !== '' && stored.specHash !== specHash) {
      refuse(ErrorCode.SpecChanged, `key ${keyId} was made for study version ${stored.specHash}, not ${specHash}`, 'key_request.spec', { keyId });
    }
    if (!stored) {
      const pair = await HeKeyPair.generate(req.params);
      stored = this.store.putKey({
        keyId,
        studyId: req.studyId,
        params: req.params,
        minContributors: t,
        publicKey: pair.publicKey,
        secretKey: pair.exportSecretKey(),
        specHash,
        parties: [...parties],
        derivedFloor: custodianThresholdFloor(terms, this.floor),
      });
      if (stored.publicKey.byteLength === pair.publicKey.byteLength && Buffer.from(stored.publicKey).equals(Buffer.from(pair.publicKey))) {
        this.loaded.set(keyId, Promise.resolve(pair));
      } else {
        pair.dispose(); // a concurrent request stored its key first
      }
      this.o.log.info({ keyId, minContributors: stored.minContributors, specHash }, 'created an HE key pair');
      this.o.audit?.('custodian.key_created', { keyId, studyId: req.studyId, ...req.params, minContributors: stored.minContributors, specHash });
    }
    return { keyId, publicKey: stored.publicKey, params: stored.params, minContributors: stored.minContributors, specHash: stored.specHash };
  }

  /**
   * ceil(vectorLength / N) under key `keyId`'s ring degree N: the ciphertexts a decrypt request
   * must carry (checked on its first chunk, before anything is buffered). NotFound for an unknown key.
   */
  ciphertextsFor(keyId: string, vectorLength: number): number {
    const key = this.store.key(keyId);
    if (!key) throw new FedsynthError(ErrorCode.NotFound, `no key ${keyId} at this custodian`, { keyId });
    return Math.ceil(vectorLength / key.params.polyModulusDegree);
  }

  /**
   * Decrypts an aggregate into its exact signed sum. Refuses: an unknown key (NotFound); repeated
   * contributor names (ProtocolViolation); fewer than max(key t, round t) contributors
   * (TooFewSurvivors); a second, different aggregate for a round or charge key already decrypted
   * (recordedFor). A repeat with the same round and contributors (a coordinator retrying after a
   * crash) gets the recorded sum back: nothing new is decrypted. The custodian cannot check that
   * the ciphertexts really are the sum of those contributors: docs/threat-model.md.
   */
  async decrypt(req: { keyId: string; threshold: number; aggregate: HeAggregate }): Promise<BigInt64Array> {
    const { keyId, aggregate: agg } = req;
    const key = this.store.key(keyId);
    if (!key) throw new FedsynthError(ErrorCode.NotFound, `no key ${keyId} at this custodian`, { keyId });
    const names = new Set(agg.contributors);
    if (names.size !== agg.contributors.length) throw new FedsynthError(ErrorCode.ProtocolViolation, 'aggregate names a contributor twice', { roundId: agg.roundId, field: 'decrypt.contributors' });
    if (key.parties.length > 0) {
      const invited = new Set(key.parties);
      const strangers = agg.contributors.filter((p) => !invited.has(p));
      if (strangers.length > 0) {
        this.o.audit?.('custodian.refused', { keyId, roundId: agg.roundId, reason: 'contributors not invited to the study', contributors: strangers });
        throw new FedsynthError(ErrorCode.ProtocolViolation, `aggregate names ${strangers.join(', ')}, not invited to study ${key.studyId}`, { roundId: agg.roundId, field: 'decrypt.contributors' });
      }
    }
    if (req.threshold < key.derivedFloor) {
      // A coordinator asking below what the study allows is refused, not silently raised.
      this.o.audit?.('custodian.refused', { keyId, roundId: agg.roundId, reason: 'threshold below the study floor', threshold: req.threshold, required: key.derivedFloor });
      throw new FedsynthError(ErrorCode.ThresholdBelowPlan, `decrypt request asks t = ${req.threshold}; this custodian derives t >= ${key.derivedFloor} for study ${key.studyId}`, {
        roundId: agg.roundId,
        field: 'decrypt.threshold',
        threshold: req.threshold,
        required: key.derivedFloor,
      });
    }
    const t = Math.max(key.minContributors, req.threshold);
    if (names.size < t) {
      this.o.audit?.('custodian.refused', { keyId, roundId: agg.roundId, reason: 'too few contributors', contributors: names.size, threshold: t });
      throw new FedsynthError(ErrorCode.TooFewSurvivors, `aggregate has ${names.size} contributors; the custodian decrypts only sums of at least t = ${t}`, {
        roundId: agg.roundId,
        contributors: names.size,
        threshold: t,
      });
    }
    const pair = await this.pairOf(key.keyId, key.params, key.secretKey, key.publicKey);
    // No await below this line: the check and the record are atomic in this process.
    const previous = this.recordedFor(keyId, agg, names);
    if (previous) {
      this.o.log.info({ keyId, roundId: agg.roundId }, 'repeat decrypt request: returning the recorded sum');
      return bigIntsOf(previous.sum);
    }
    const sum = pair.decryptVector(agg.ciphertexts, agg.vectorLength);
    this.store.recordDecryption({ keyId, roundId: agg.roundId, contributors: [...agg.contributors].sort(), sum: sumToWire(sum), chargeKey: agg.chargeKey ?? '' });
    this.o.crashAt?.('custodian.decrypt');
    this.o.log.info({ keyId, roundId: agg.roundId, contributors: names.size, cells: agg.vectorLength }, 'decrypted an aggregate');
    this.o.audit?.('custodian.decrypted', { keyId, roundId: agg.roundId, contributors: names.size, cells: agg.vectorLength });
    return sum;
  }

  /**
   * The decryption already recorded for this round or charge key, if it is the same request again
   * (same round, contributors and length: a crash-retry). Any other repeat is refused: another
   * round id for a decrypted charge key (ROUND_BINDING_MISMATCH), another contributor set for it
   * (SURVIVOR_SET_MISMATCH), or, without a charge key, for the round (PROTOCOL_VIOLATION).
   */
  private recordedFor(keyId: string, agg: HeAggregate, names: ReadonlySet<string>): StoredDecryption | undefined {
    const chargeKey = agg.chargeKey ?? '';
    const byCharge = this.store.decryptionOfCharge(keyId, chargeKey);
    const refuse = (code: ErrorCode, reason: string, message: string): never => {
      this.o.audit?.('custodian.refused', { keyId, roundId: agg.roundId, chargeKey, reason, code });
      throw new FedsynthError(code, message, { roundId: agg.roundId, chargeKey });
    };
    if (byCharge && byCharge.roundId !== agg.roundId) {
      refuse(ErrorCode.RoundBindingMismatch, 'charge key already decrypted in another round', `charge key ${chargeKey} was already decrypted in round ${byCharge.roundId}`);
    }
    const previous = byCharge ?? this.store.decryption(keyId, agg.roundId);
    if (!previous) return undefined;
    const same = previous.contributors.length === names.size && previous.contributors.every((p) => names.has(p)) && previous.sum.byteLength === agg.vectorLength * 8;
    if (!same) {
      if (byCharge) refuse(ErrorCode.SurvivorSetMismatch, 'charge key already decrypted for other contributors', `charge key ${chargeKey} was already decrypted for other contributors`);
      refuse(ErrorCode.ProtocolViolation, 'round already decrypted', `round ${agg.roundId} was already decrypted for other contributors`);
    }
    return previous;
  }

  private pairOf(keyId: string, params: HeParams, sk: Uint8Array, pk: Uint8Array): Promise<HeKeyPair> {
    let p = this.loaded.get(keyId);
    if (!p) {
      p = HeKeyPair.load(params, sk, pk);
      this.loaded.set(keyId, p);
      p.catch(() => this.loaded.delete(keyId));
    }
    return p;
  }

  async close(): Promise<void> {
    for (const p of this.loaded.values()) (await p.catch(() => undefined))?.dispose();
    this.loaded.clear();
    this.store.close();
  }
}

function bigIntsOf(bytes: Uint8Array): BigInt64Array {
  const values = sumFromWire(bytes, bytes.byteLength / 8, 'stored sum');
  return BigInt64Array.from(values, (v) => BigInt(v));
}
