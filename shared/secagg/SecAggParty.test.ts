// Refusal tests: each malicious or malformed input is planted into an otherwise honest round and
// must be refused with its typed error (wrong signatures, misaddressed or tampered shares, reused
// nonces, replays from another round, out-of-order stages, "both secrets" requests, bad vectors).
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { ErrorCode } from '../errors/FedsynthError.js';
import type { RoundConfig } from './RoundConfig.js';
import { makeIdentities, simulateSecAggRound, type SecAggSimulationOptions } from './simulateSecAggRound.js';
import type { EncryptedShare, PartyReply, ServerRequest } from './SecAggMessages.js';
import { SecAggParty } from './SecAggParty.js';
import { SecAggServer } from './SecAggServer.js';
import { errorCodeOf as codeOf } from '../../test/support/errorCodeOf.js';

const parties = ['alice', 'bob', 'carol', 'dave'];
const config: RoundConfig = { roundId: 'round-7', parties, threshold: 3, vectorLength: 6, modulusBits: 32, maxAbsValue: 1000n };
const inputs = parties.map((_, i) => Float64Array.from([i, -i, 1000, -1000, 0, 7]));

function run(extra: Partial<SecAggSimulationOptions>): Promise<unknown> {
  return simulateSecAggRound({ config, inputs, seed: 'refuse', ...extra });
}

function flip(b: Uint8Array, i = 0): Uint8Array {
  const c = b.slice();
  c[i] ^= 1;
  return c;
}

describe('SecAggParty refusals', () => {
  it('control: the unplanted round succeeds', async () => {
    expect(await codeOf(run({}))).toBe('NO_ERROR');
  });

  it('refuses an advertisement with a wrong signature (party and coordinator)', async () => {
    // Coordinator side: the forged reply is refused at receive().
    const forged = (r: PartyReply): PartyReply | void =>
      r.stage === 'advertiseKeys' && r.from === 'bob' ? { ...r, keys: { ...r.keys, signature: flip(r.keys.signature) } } : undefined;
    expect(await codeOf(run({ onReply: forged }))).toBe(ErrorCode.BadSignature);
    // Party side: a coordinator that relays a forged key list.
    const relay = (_to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'shareKeys' ? { ...q, keys: q.keys.map((k) => (k.partyId === 'carol' ? { ...k, sPk: flip(k.sPk) } : k)) } : undefined;
    expect(await codeOf(run({ onRequest: relay }))).toBe(ErrorCode.BadSignature);
  });

  it('refuses keys signed by a key outside the PKI', async () => {
    const ids = await makeIdentities(parties, 'refuse');
    const stranger = await makeIdentities(['mallory'], 'other');
    const swapped = new Map(ids);
    swapped.set('dave', { publicKey: ids.get('dave')!.publicKey, privateKey: stranger.get('mallory')!.privateKey });
    expect(await codeOf(run({ identities: swapped }))).toBe(ErrorCode.BadSignature);
  });

  it('refuses shares addressed to another party', async () => {
    const redirect = (to: string, q: ServerRequest): ServerRequest | void => {
      if (q.stage !== 'maskedInput' || to !== 'alice') return;
      // Hand alice the envelope bob made for carol, relabelled as hers.
      const bobToCarol = capturedShares.find((s) => s.from === 'bob' && s.to === 'carol')!;
      return { ...q, shares: q.shares.map((s) => (s.from === 'bob' ? { ...bobToCarol, to: 'alice' } : s)) };
    };
    const capturedShares: EncryptedShare[] = [];
    const capture = (r: PartyReply): void => {
      if (r.stage === 'shareKeys') capturedShares.push(...r.shares);
    };
    expect(await codeOf(run({ onRequest: redirect, onReply: capture }))).toBe(ErrorCode.ProtocolViolation);
    // And an envelope still marked for carol is refused by alice before decryption.
    const misaddressed = (to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'maskedInput' && to === 'alice' ? { ...q, shares: q.shares.map((s) => (s.from === 'bob' ? capturedShares.find((c) => c.from === 'bob' && c.to === 'carol')! : s)) } : undefined;
    expect(await codeOf(run({ onRequest: misaddressed, onReply: capture }))).toBe(ErrorCode.ProtocolViolation);
  });

  it('refuses a tampered share ciphertext', async () => {
    const tamper = (to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'maskedInput' && to === 'dave' ? { ...q, shares: q.shares.map((s, i) => (i === 0 ? { ...s, ciphertext: flip(s.ciphertext, 5) } : s)) } : undefined;
    expect(await codeOf(run({ onRequest: tamper }))).toBe(ErrorCode.ProtocolViolation);
  });

  it('refuses a reused nonce', async () => {
    const reuse = (to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'maskedInput' && to === 'carol' ? { ...q, shares: q.shares.map((s, i) => (i === 1 ? { ...s, nonce: q.shares[0].nonce } : s)) } : undefined;
    expect(await codeOf(run({ onRequest: reuse }))).toBe(ErrorCode.ProtocolViolation);
  });

  it('refuses shares replayed from a previous round, even relabelled with the new round id', async () => {
    const old: EncryptedShare[] = [];
    await simulateSecAggRound({ config: { ...config, roundId: 'round-6' }, inputs, seed: 'refuse', onReply: (r) => void (r.stage === 'shareKeys' && old.push(...r.shares)) });
    const replay = (to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'maskedInput' && to === 'bob' ? { ...q, shares: q.shares.map((s) => old.find((o) => o.from === s.from && o.to === s.to)!) } : undefined;
    expect(await codeOf(run({ onRequest: replay }))).toBe(ErrorCode.ProtocolViolation);
  });

  it('refuses a coordinator asking for both secrets of one peer', async () => {
    const greedy = (to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'unmask' && to === 'alice' ? { ...q, keysFor: ['bob'] } : undefined;
    expect(await codeOf(run({ onRequest: greedy }))).toBe(ErrorCode.ProtocolViolation);
    // Also when the request names the peer in both lists although it really dropped.
    const both = (to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'unmask' && to === 'alice' ? { ...q, seedsFor: [...q.seedsFor, 'dave'], keysFor: ['dave'] } : undefined;
    expect(await codeOf(run({ onRequest: both, dropAt: new Map([['dave', 'maskedInput']]) }))).toBe(ErrorCode.ProtocolViolation);
  });

  it('refuses an unmask request with forged or too few consistency signatures', async () => {
    const forged = (to: string, q: ServerRequest): ServerRequest | void =>
      q.stage === 'unmask' && to === 'bob' ? { ...q, signatures: q.signatures.map((s, i) => (i === 0 ? { ...s, signature: flip(s.signature) } : s)) } : undefined;
    expect(await codeOf(run({ onRequest: forged }))).toBe(ErrorCode.BadSignature);
    const few = (to: string, q: ServerRequest): ServerRequest | void => (q.stage === 'unmask' && to === 'bob' ? { ...q, signatures: q.signatures.slice(0, 2) } : undefined);
    expect(await codeOf(run({ onRequest: few }))).toBe(ErrorCode.TooFewSurvivors);
    const otherSet = (to: string, q: ServerRequest): ServerRequest | void => (q.stage === 'unmask' && to === 'bob' ? { ...q, survivors: q.survivors.slice(1) } : undefined);
    expect(await codeOf(run({ onRequest: otherSet }))).toBe(ErrorCode.ProtocolViolation);
  });

  it('refuses input vectors of the wrong length or out of range; coordinator refuses a short masked vector', async () => {
    const short = parties.map(() => new Float64Array(5));
    expect(await codeOf(simulateSecAggRound({ config, inputs: short, seed: 'x' }))).toBe(ErrorCode.InvalidData);
    const big = inputs.map((v, i) => (i === 2 ? Float64Array.from(v, (x, j) => (j === 0 ? 1001 : x)) : v));
    expect(await codeOf(simulateSecAggRound({ config, inputs: big, seed: 'x' }))).toBe(ErrorCode.InvalidData);
    const frac = inputs.map((v, i) => (i === 1 ? Float64Array.from(v, (x, j) => (j === 0 ? 0.5 : x)) : v));
    expect(await codeOf(simulateSecAggRound({ config, inputs: frac, seed: 'x' }))).toBe(ErrorCode.InvalidData);
    const truncate = (r: PartyReply): PartyReply | void => (r.stage === 'maskedInput' && r.from === 'carol' ? { ...r, masked: r.masked.slice(4) } : undefined);
    expect(await codeOf(run({ onReply: truncate }))).toBe(ErrorCode.ProtocolViolation);
  });

  it('refuses out-of-order and other-round requests without changing state', async () => {
    const ids = await makeIdentities(parties, 'order');
    const party = await SecAggParty.create({
      config,
      partyId: 'alice',
      identitySecretKey: ids.get('alice')!.privateKey,
      pki: (p) => ids.get(p)?.publicKey,
      rng: seededRandomSource('order', 'party/0/secagg'),
      input: inputs[0],
    });
    expect(await codeOf(party.handle({ stage: 'consistency', roundId: 'round-7', survivors: parties }))).toBe(ErrorCode.OutOfStep);
    expect(await codeOf(party.handle({ stage: 'advertiseKeys', roundId: 'round-6' }))).toBe(ErrorCode.OutOfStep);
    expect(party.state).toBe('advertiseKeys');
    await party.handle({ stage: 'advertiseKeys', roundId: 'round-7' });
    expect(party.state).toBe('shareKeys');
    expect(await codeOf(party.handle({ stage: 'advertiseKeys', roundId: 'round-7' }))).toBe(ErrorCode.OutOfStep);
    expect(party.state).toBe('shareKeys');
  });

  it('coordinator refuses replies of the wrong stage, repeats and non-survivors', async () => {
    const ids = await makeIdentities(parties, 'srv');
    const server = await SecAggServer.create(config, (p) => ids.get(p)?.publicKey);
    const early: PartyReply = { stage: 'consistency', roundId: 'round-7', from: 'alice', signature: new Uint8Array(64) };
    expect(await codeOf(Promise.resolve().then(() => server.receive(early)))).toBe(ErrorCode.OutOfStep);
    server.begin();
    const stranger: PartyReply = { stage: 'maskedInput', roundId: 'round-7', from: 'mallory', masked: new Uint8Array(24) };
    expect(await codeOf(Promise.resolve().then(() => server.receive(stranger)))).toBe(ErrorCode.OutOfStep);
    expect(await codeOf(server.close())).toBe(ErrorCode.TooFewSurvivors);
    expect(server.state).toBe('failed');
  });
});
