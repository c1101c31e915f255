// Tests of the secure-aggregation wire forms: whole rounds whose replies go through the compact
// protocol-v1 encoding (no ids, no certificate in uploads) give the exact sum; misplaced positions fail.
import { describe, expect, it } from 'vitest';
import { RoundReply } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { FedsynthError } from '../../shared/errors/FedsynthError.js';
import { plainSum, sumToBigInts } from '../../shared/secagg/ModularVector.js';
import type { RoundConfig } from '../../shared/secagg/RoundConfig.js';
import type { PartyReply } from '../../shared/secagg/SecAggMessages.js';
import { simulateSecAggRound } from '../../shared/secagg/simulateSecAggRound.js';
import { replyFromWire, replyToWire } from './secaggWire.js';

const parties = ['ann', 'bob', 'cat', 'dan', 'eve', 'fay'];
const config: RoundConfig = { roundId: 'wire-1', parties, threshold: 4, vectorLength: 257, modulusBits: 32, maxAbsValue: 1000n };
const inputs = parties.map((_, j) => Float64Array.from({ length: 257 }, (_, i) => ((i * 31 + j * 7) % 2001) - 1000));

/** Encodes a reply as the agent would, through protobuf bytes, and decodes it as the coordinator does. */
function viaWire(reply: PartyReply, tamper?: (stage: RoundReply) => void): PartyReply {
  const msg: RoundReply = { studyId: 's', roundId: reply.roundId, attempt: 0, stage: replyToWire(reply, new Uint8Array(700).fill(1)) };
  tamper?.(msg);
  const decoded = RoundReply.decode(RoundReply.encode(msg).finish());
  return replyFromWire(reply.roundId, reply.from, decoded.stage!).reply;
}

describe('secaggWire compact uploads', () => {
  it('uploads carry no party ids and no certificate, and a round through the wire is exact (full and SecAgg+, with a dropout)', async () => {
    const seen: RoundReply[] = [];
    for (const cfg of [config, { ...config, neighbours: 3 }]) {
      const r = await simulateSecAggRound({
        config: cfg,
        inputs,
        seed: 'w',
        dropAt: new Map([['cat', 'maskedInput']]),
        onReply: (rep) => viaWire(rep, (m) => void seen.push(m)),
      });
      const expected = plainSum(inputs.filter((_, i) => parties[i] !== 'cat'), 32, 1000n);
      expect(sumToBigInts(r.sum)).toEqual(sumToBigInts(expected));
    }
    for (const m of seen) {
      const st = m.stage!;
      if (st.$case === 'keys') {
        expect(st.value.keys!.certificate.length).toBe(0);
        expect(st.value.keys!.partyId).toBe('');
      }
      if (st.$case === 'shares') for (const s of st.value.shares) expect(s.fromParty + s.toParty).toBe('');
      if (st.$case === 'unmaskShares') for (const s of [...st.value.seedShares, ...st.value.keyShares]) expect(s.ofParty).toBe('');
    }
  });

  /** A full round in which every upload passes `tamper` on its wire form. */
  const tampered = (tamper: (m: RoundReply, from: string) => void): Promise<unknown> =>
    simulateSecAggRound({ config, inputs, seed: 'w', onReply: (rep) => viaWire(rep, (m) => tamper(m, rep.from)) });

  it('planted fault: swapping two positional envelopes makes the recipient refuse (AEAD names both ends)', async () => {
    const run = tampered((m, from) => {
      if (m.stage?.$case === 'shares' && from === 'ann') {
        const s = m.stage.value.shares;
        [s[0], s[1]] = [s[1], s[0]];
      }
    });
    await expect(run).rejects.toThrow(FedsynthError);
    await expect(run).rejects.toThrow(/authentication/);
  });

  it('planted fault: swapping two positional revealed shares is caught at reconstruction', async () => {
    const run = tampered((m) => {
      if (m.stage?.$case === 'unmaskShares') {
        const s = m.stage.value.seedShares;
        [s[0], s[1]] = [s[1], s[0]];
      }
    });
    await expect(run).rejects.toThrow(FedsynthError);
  });
});
