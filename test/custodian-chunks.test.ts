// Tests of chunked coordinator <-> custodian HE decryption: the custodian's request reassembly and
// the coordinator's reply reassembly (wire chunks through the heWire codec, as at the edges) with planted
// duplicates, gaps, wrong totals and tampering, and a chunked round through the real custodian over gRPC+mTLS decrypted once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import { HeAggregator } from '../shared/he/HeAggregator.js';
import { HeParty } from '../shared/he/HeParty.js';
import type { HeAggregate } from '../shared/he/HeMessages.js';
import { makeIdentities } from '../shared/secagg/simulateSecAggRound.js';
import { aggregateToWireChunks, decryptRequestChunkFromWire, heParamsOfRound, sumChunkFromWire, sumToWire, sumToWireChunks } from '../platform/wire/heWire.js';
import { silentLogger } from '../platform/logging/logging.js';
import { heStudy } from './support/heStudy.js';
import { startCustodianConsortium } from './support/custodianConsortium.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { CustodianConnection, custodianEndorser } from '../custodian/CustodianConnection.js';
import { HeDecryptAssembler } from '../custodian/HeDecryptAssembler.js';
import { HeKeyPair } from '../custodian/HeKeyPair.js';
import { HeSumAssembler } from '../coordinator/custodian/HeSumAssembler.js';
import type { HeDecryptReply, HeDecryptRequest } from '../proto/generated/fedsynth/custodian/v1/custodian.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-custodian-chunks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const N = 4096;
/** A fake aggregate of `sizes.length` ciphertexts (bytes only: the assemblers never open them). */
const fake = (sizes: number[]): HeAggregate => ({
  roundId: 's/r0',
  contributors: ['p1', 'p2', 'p3'],
  vectorLength: (sizes.length - 1) * N + 10,
  ciphertexts: sizes.map((n, i) => new Uint8Array(n).fill(i + 1)),
});
const ciphertextsFor = (keyId: string, m: number): number => {
  if (keyId !== 'k') throw new FedsynthError(ErrorCode.NotFound, `no key ${keyId}`);
  return Math.ceil(m / N);
};
const fails = (code: string) => expect.objectContaining({ code });

function assemble(chunks: HeDecryptRequest[], budget = 1 << 20) {
  const a = new HeDecryptAssembler(budget, ciphertextsFor);
  let out;
  for (const c of chunks) out = a.add(decryptRequestChunkFromWire(c));
  return out;
}

describe('custodian: decrypt-request chunks', () => {
  const agg = fake([300, 200, 250, 100]);
  // Budget 500: [300, 200] [250, 100] -> 2 chunks of 2 ciphertexts.
  const chunks = aggregateToWireChunks('k', 3, agg, 500, 2048);

  it('packs whole ciphertexts within the budget and reassembles them exactly after the digest check', () => {
    expect(chunks.map((c) => c.ciphertexts.length)).toEqual([2, 2]);
    expect(chunks.every((c) => c.chunkCount === 2 && c.ciphertextCount === 4 && c.digest.byteLength === 32)).toBe(true);
    const got = assemble(chunks)!;
    expect(got).toMatchObject({ keyId: 'k', threshold: 3, maxReplyChunkBytes: 2048 });
    expect(got.aggregate).toEqual(agg);
    // Only the last chunk completes a request.
    expect(new HeDecryptAssembler(1 << 20, ciphertextsFor).add(decryptRequestChunkFromWire(chunks[0]))).toBeUndefined();
    // A budget of 1 byte: one ciphertext per chunk.
    expect(aggregateToWireChunks('k', 3, agg, 1).map((c) => c.chunkIndex)).toEqual([0, 1, 2, 3]);
  });

  it('refuses duplicates, gaps, changed totals or headers, oversized chunks and unknown keys', () => {
    expect(() => assemble([chunks[0], chunks[0], chunks[1]])).toThrow(fails(ErrorCode.ProtocolViolation)); // duplicate
    expect(() => assemble([chunks[0], chunks[0]])).toThrow(/duplicate chunk 0/);
    expect(() => assemble([chunks[1]])).toThrow(/gap/); // chunk 0 missing
    const three = aggregateToWireChunks('k', 3, agg, 1);
    expect(() => assemble([three[0], three[2]])).toThrow(/chunk 2 arrived before chunk 1 \(gap\)/);
    expect(() => assemble([three[0], { ...three[1], chunkCount: 3 }])).toThrow(/chunk count changed/);
    expect(() => assemble(chunks.map((c) => ({ ...c, ciphertextCount: 5 })))).toThrow(/ciphertext_count/); // wrong total
    expect(() => assemble(chunks.map((c) => ({ ...c, chunkCount: 5 })))).toThrow(/chunk count 5 is not in \[1, 4\]/);
    expect(() => assemble([chunks[0], { ...chunks[1], contributors: ['p1', 'p2', 'p9'] }])).toThrow(/changes the header/);
    expect(() => assemble([chunks[0], { ...chunks[1], threshold: 1 }])).toThrow(/changes the header/);
    expect(() => assemble([...chunks, chunks[1]])).toThrow(/after the last chunk/);
    expect(() => assemble(chunks, 400)).toThrow(/above the custodian's 400-byte budget/); // 500-byte chunks
    expect(assemble(aggregateToWireChunks('k', 3, agg, 1), 100)?.aggregate).toEqual(agg); // single ciphertexts pass
    expect(() => assemble(aggregateToWireChunks('other', 3, agg, 500))).toThrow(fails(ErrorCode.NotFound));
    // Three ciphertexts announced as four (one chunk short of the total).
    const short = aggregateToWireChunks('k', 3, { ...agg, ciphertexts: agg.ciphertexts.slice(0, 3) }, 1 << 20).map((c) => ({ ...c, ciphertextCount: 4 }));
    expect(() => assemble(short)).toThrow(/3 ciphertexts in 1 chunks, 4 announced/);
  });

  it('refuses a reassembled aggregate that does not match the digest (planted tampering)', () => {
    const flipped = new Uint8Array(chunks[1].ciphertexts[0]);
    flipped[7] ^= 1;
    const tampered = { ...chunks[1], ciphertexts: [Buffer.from(flipped), chunks[1].ciphertexts[1]] };
    expect(() => assemble([chunks[0], tampered])).toThrow(fails(ErrorCode.VerificationFailed));
    // Chunks of another aggregate with the same framing: the digest of chunk 0 covers the whole.
    const other = aggregateToWireChunks('k', 3, fake([300, 200, 250, 101]), 500, 2048);
    expect(() => assemble([chunks[0], { ...other[1], digest: chunks[0].digest }])).toThrow(fails(ErrorCode.VerificationFailed));
  });
});

describe('coordinator: decrypted-sum chunks', () => {
  const sum = BigInt64Array.from({ length: 1000 }, (_, i) => BigInt((i * 7919) % 20001) - 10000n);
  const replies = sumToWireChunks('s/r0', sumToWire(sum), 1024 + 5); // 128 values per chunk
  const collect = (rs: HeDecryptReply[], roundId = 's/r0', m = 1000) => {
    const a = new HeSumAssembler(roundId, m);
    let out;
    for (const r of rs) out = a.add(sumChunkFromWire(r));
    return out;
  };

  it('splits into whole int64 values within the budget and reassembles the exact sum', () => {
    expect(replies).toHaveLength(8);
    expect(replies.map((r) => r.sum.byteLength)).toEqual([1024, 1024, 1024, 1024, 1024, 1024, 1024, 832]);
    expect(Array.from(collect(replies)!)).toEqual(Array.from(sum, Number));
    expect(sumToWireChunks('s/r0', sumToWire(sum), 8)).toHaveLength(8); // never below 1 KiB
  });

  it('refuses duplicates, gaps, another round or length, and a tampered chunk', () => {
    expect(() => collect([replies[0], replies[0]])).toThrow(/duplicate chunk 0/);
    expect(() => collect([replies[0], replies[2]])).toThrow(/gap/);
    expect(() => collect(replies, 's/r1')).toThrow(/round s\/r0/);
    expect(() => collect(replies, 's/r0', 999)).toThrow(/announces 1000 values/);
    const bad = new Uint8Array(replies[3].sum);
    bad[0] ^= 1;
    expect(() => collect(replies.map((r, i) => (i === 3 ? { ...r, sum: Buffer.from(bad) } : r)))).toThrow(fails(ErrorCode.VerificationFailed));
    expect(() => collect(replies.map((r, i) => (i === 7 ? { ...r, sum: r.sum.subarray(0, 12) } : r)))).toThrow(/not whole int64 values/);
  });
});

describe('chunked decryption through the real custodian over gRPC', () => {
  it('a 3-ciphertext aggregate goes as 3 request chunks, the sum comes back in 1 KiB chunks, decrypted once', async () => {
    const { params, maxAbsValue } = heParamsOfRound(32);
    const parties = ['p1', 'p2', 'p3'];
    const m = 2 * params.polyModulusDegree + 100;
    const inputs = parties.map((_, i) => Float64Array.from({ length: m }, (_, j) => ((j * 7919 + i * 104729) % 20001) - 10000));
    const expected = Array.from({ length: m }, (_, j) => inputs[0][j] + inputs[1][j] + inputs[2][j]);
    const ids = await makeIdentities(parties, 'custodian-chunks');
    const consortium = await startCustodianConsortium(join(root, 'grpc'));
    // The custodian reconnects with a 1-byte budget: it accepts only single-ciphertext chunks.
    consortium.custodian!.connection.stop();
    const kit = loadKit(join(root, 'grpc', 'kits', 'custodian'));
    const small = new CustodianConnection(
      { address: `127.0.0.1:${consortium.coordinator.port}`, tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key, serverName: 'localhost' }, log: silentLogger(), maxChunkBytes: 1, endorser: custodianEndorser(kit) },
      consortium.custodian!.keys,
    );
    small.start();
    const requestChunks = vi.spyOn(HeDecryptAssembler.prototype, 'add');
    const replyChunks = vi.spyOn(HeSumAssembler.prototype, 'add');
    const decryptions = vi.spyOn(HeKeyPair.prototype, 'decryptVector');
    try {
      const gw = consortium.coordinator.custodian;
      for (let i = 0; i < 200 && !small.connected; i++) await new Promise((r) => setTimeout(r, 25));
      const key = await gw.publicKey(heStudy('s3', [...parties, 'p9']), params, 3, 30_000);
      const party = await HeParty.create(params, key.publicKey, maxAbsValue);
      const agg = await HeAggregator.create(params, 's3/r0', parties, m, (p) => ids.get(p)?.publicKey);
      for (const p of parties) agg.add(party.encrypt('s3/r0', p, inputs[parties.indexOf(p)], ids.get(p)!.privateKey));
      const all = agg.result();
      party.dispose();
      agg.dispose();
      expect(all.ciphertexts).toHaveLength(3);

      const sum = await gw.decrypt(key.keyId, 3, all, 30_000, { maxChunkBytes: 1, maxReplyChunkBytes: 1024 });
      expect(Array.from(sum)).toEqual(expected);
      expect(requestChunks).toHaveBeenCalledTimes(3);
      expect(replyChunks).toHaveBeenCalledTimes(Math.ceil((m * 8) / 1024));
      expect(decryptions).toHaveBeenCalledTimes(1);

      // A retry of the same round and contributors gets the recorded sum: nothing new is decrypted.
      expect(Array.from(await gw.decrypt(key.keyId, 3, all, 30_000, { maxChunkBytes: 1 }))).toEqual(expected);
      expect(decryptions).toHaveBeenCalledTimes(1);
      // Planted fault: chunks above the custodian's own budget (all 3 ciphertexts in one chunk) are refused, not decrypted.
      const big = { ...all, roundId: 's3/r1' };
      await expect(gw.decrypt(key.keyId, 3, big, 30_000)).rejects.toMatchObject({ code: ErrorCode.ProtocolViolation, message: expect.stringMatching(/budget/) });
      // The same round under another contributor list (a differencing attempt) is refused.
      await expect(gw.decrypt(key.keyId, 3, { ...all, contributors: ['p1', 'p2', 'p9'] }, 30_000, { maxChunkBytes: 1 })).rejects.toMatchObject({
        code: ErrorCode.ProtocolViolation,
        message: expect.stringMatching(/already decrypted/),
      });
      expect(decryptions).toHaveBeenCalledTimes(1);
      // The stream still serves requests after the refusals.
      expect(Array.from(await gw.decrypt(key.keyId, 3, { ...all, roundId: 's3/r2' }, 30_000, { maxChunkBytes: 1 }))).toEqual(expected);
      expect(decryptions).toHaveBeenCalledTimes(2);
    } finally {
      vi.restoreAllMocks();
      small.stop();
      await consortium.stop();
    }
  }, 120_000);
});
