// Tests of homomorphic (he) aggregation wired into the system: `simulate` gives the same synthetic
// data as plain and masking; the key custodian refuses small aggregates, decrypts once, survives restarts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { HeAggregator } from '../shared/he/HeAggregator.js';
import { HeParty } from '../shared/he/HeParty.js';
import { makeIdentities } from '../shared/secagg/simulateSecAggRound.js';
import { heParamsOfRound } from '../platform/wire/heWire.js';
import { silentLogger } from '../platform/logging/logging.js';
import { runSimulation } from '../simulation/runSimulation.js';
import { heStudy } from './support/heStudy.js';
import { studySpecHash } from '../platform/wire/studySpecHash.js';
import { startCustodianConsortium } from './support/custodianConsortium.js';
import { KeyCustodian } from '../custodian/KeyCustodian.js';
import { CustodianConnection, custodianEndorser } from '../custodian/CustodianConnection.js';
import { openCa } from '../platform/pki/CertificateAuthority.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { errorCodeOf as codeOf } from './support/errorCodeOf.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-he-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const { params, maxAbsValue } = heParamsOfRound(32);
const parties = ['p1', 'p2', 'p3'];
const m = 300; // one ciphertext (the simulate test below covers rounds of many ciphertexts)
const inputs = parties.map((_, i) => Float64Array.from({ length: m }, (_, j) => ((j * 7919 + i * 104729) % 20001) - 10000));

/** Encrypts `who`'s inputs under `publicKey` and adds them, as the coordinator would. */
const identities = makeIdentities(parties, 'he-test');

async function aggregateOf(roundId: string, publicKey: Uint8Array, who: readonly string[]) {
  const ids = await identities;
  const party = await HeParty.create(params, publicKey, maxAbsValue);
  const agg = await HeAggregator.create(params, roundId, parties, m, (p) => ids.get(p)?.publicKey);
  try {
    for (const p of who) agg.add(party.encrypt(roundId, p, inputs[parties.indexOf(p)], ids.get(p)!.privateKey));
    return agg.result();
  } finally {
    party.dispose();
    agg.dispose();
  }
}

function expectedSum(who: readonly string[]): bigint[] {
  return Array.from({ length: m }, (_, j) => BigInt(who.reduce((s, p) => s + inputs[parties.indexOf(p)][j], 0)));
}

/** Study s1 as announced: the three parties and p9 (invited, so a list naming it is judged on the decrypt-once rule alone). */
const s1 = heStudy('s1', [...parties, 'p9']);

describe('key custodian', () => {
  it('refuses fewer than t contributors, decrypts each round once, keeps its keys across restarts', async () => {
    const stateDir = join(root, 'custodian-state');
    let c = new KeyCustodian({ stateDir, minContributors: 2, log: silentLogger() });
    const key = await c.publicKey({ studyId: 's1', params, minContributors: 3, study: s1 });
    expect(key.minContributors).toBe(3);
    // Planted fault: an aggregate of two contributors (t = 3) must be refused.
    const two = await aggregateOf('s1/r0', key.publicKey, ['p1', 'p2']);
    expect(await codeOf(c.decrypt({ keyId: key.keyId, threshold: 2, aggregate: two }))).toBe(ErrorCode.TooFewSurvivors);
    // A round t below what the custodian derives from the study (min_parties 2) is refused, not raised.
    expect(await codeOf(c.decrypt({ keyId: key.keyId, threshold: 1, aggregate: two }))).toBe(ErrorCode.ThresholdBelowPlan);
    // A contributor list padded with a repeated name does not pass either.
    expect(await codeOf(c.decrypt({ keyId: key.keyId, threshold: 1, aggregate: { ...two, contributors: ['p1', 'p2', 'p2'] } }))).toBe(ErrorCode.ProtocolViolation);
    const all = await aggregateOf('s1/r0', key.publicKey, parties);
    expect([...(await c.decrypt({ keyId: key.keyId, threshold: 3, aggregate: all }))]).toEqual(expectedSum(parties));
    await c.close();

    // Restart: same key, the round stays decrypted-once.
    c = new KeyCustodian({ stateDir, minContributors: 2, log: silentLogger() });
    const again = await c.publicKey({ studyId: 's1', params, minContributors: 2, study: s1 });
    expect(Buffer.from(again.publicKey).equals(Buffer.from(key.publicKey))).toBe(true);
    expect(again.minContributors).toBe(3); // t cannot be lowered after creation
    const other = await aggregateOf('s1/r0', key.publicKey, ['p1', 'p2']);
    // Planted fault: the same round again under another contributor list (a differencing attempt).
    expect(await codeOf(c.decrypt({ keyId: key.keyId, threshold: 2, aggregate: { ...other, contributors: ['p1', 'p2', 'p9'] } }))).toBe(ErrorCode.ProtocolViolation);
    // A retry with the same contributors gets the recorded sum back (nothing new is decrypted).
    const retry = await aggregateOf('s1/r0', key.publicKey, parties);
    expect([...(await c.decrypt({ keyId: key.keyId, threshold: 3, aggregate: retry }))]).toEqual(expectedSum(parties));
    // A new round decrypts with the reloaded secret key.
    const r1 = await aggregateOf('s1/r1', key.publicKey, parties);
    expect([...(await c.decrypt({ keyId: key.keyId, threshold: 3, aggregate: r1 }))]).toEqual(expectedSum(parties));
    expect(await codeOf(c.decrypt({ keyId: 'nope', threshold: 3, aggregate: r1 }))).toBe(ErrorCode.NotFound);
    await c.close();
  });

  it('decrypts each charge key once: another round id or contributor set for it is refused (differencing)', async () => {
    const stateDir = join(root, 'custodian-charge');
    let c = new KeyCustodian({ stateDir, minContributors: 2, log: silentLogger() });
    const key = await c.publicKey({ studyId: 's4', params, minContributors: 2, study: heStudy('s4', parties) });
    const all = await aggregateOf('s4/r0', key.publicKey, parties);
    const sum = [...(await c.decrypt({ keyId: key.keyId, threshold: 2, aggregate: { ...all, chargeKey: 's4/0/q' } }))];
    expect(sum).toEqual(expectedSum(parties));
    await c.close();
    c = new KeyCustodian({ stateDir, minContributors: 2, log: silentLogger() }); // durable across a restart
    // Planted faults: the same charge key re-run under a new round id without p3, then in the same
    // round without p3 (the coordinator would subtract and get p3's vector).
    const rerun = await aggregateOf('s4/r0/a1', key.publicKey, ['p1', 'p2']);
    expect(await codeOf(c.decrypt({ keyId: key.keyId, threshold: 2, aggregate: { ...rerun, chargeKey: 's4/0/q' } }))).toBe(ErrorCode.RoundBindingMismatch);
    const fewer = await aggregateOf('s4/r0', key.publicKey, ['p1', 'p2']);
    expect(await codeOf(c.decrypt({ keyId: key.keyId, threshold: 2, aggregate: { ...fewer, chargeKey: 's4/0/q' } }))).toBe(ErrorCode.SurvivorSetMismatch);
    // The identical request (a crash-retry) gets the recorded sum; a new charge key is a new decryption.
    expect([...(await c.decrypt({ keyId: key.keyId, threshold: 2, aggregate: { ...all, chargeKey: 's4/0/q' } }))]).toEqual(sum);
    expect([...(await c.decrypt({ keyId: key.keyId, threshold: 2, aggregate: { ...rerun, chargeKey: 's4/0/q/a1' } }))]).toEqual(expectedSum(['p1', 'p2']));
    await c.close();
  });

  it('over gRPC: the coordinator gets the key and sums, and a refusal keeps its code', async () => {
    const consortium = await startCustodianConsortium(join(root, 'grpc'));
    try {
      const gw = consortium.coordinator.custodian;
      const key = await gw.publicKey(heStudy('s2', parties), params, 3, 30_000);
      const all = await aggregateOf('s2/r0', key.publicKey, parties);
      const sum = await gw.decrypt(key.keyId, 3, all, 30_000);
      expect([...sum].map((v) => BigInt(v))).toEqual(expectedSum(parties));
      const two = await aggregateOf('s2/r1', key.publicKey, ['p1', 'p3']);
      expect(await codeOf(gw.decrypt(key.keyId, 2, two, 30_000))).toBe(ErrorCode.TooFewSurvivors);
      // Planted fault: a party certificate may not attach as the custodian.
      const ca = await openCa(join(root, 'grpc', 'ca'));
      await issueKit(ca, { role: 'party', id: 'mallory', coordinator: '127.0.0.1:1', out: join(root, 'mallory') });
      const kit = loadKit(join(root, 'mallory'));
      const imposter = new CustodianConnection(
        { address: `127.0.0.1:${consortium.coordinator.port}`, tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key, serverName: 'localhost' }, log: silentLogger(), minBackoffMs: 60_000, endorser: custodianEndorser(kit) },
        consortium.custodian!.keys,
      );
      imposter.start();
      let everWelcomed = false;
      for (let i = 0; i < 75; i++) {
        everWelcomed ||= imposter.connected;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(everWelcomed).toBe(false);
      imposter.stop();
      expect(gw.online).toBe(true);
    } finally {
      await consortium.stop();
    }
  });
});

describe('a malicious coordinator against the custodian threshold (issue 16, finding 5)', () => {
  it('over gRPC: a lowered t, the spec of another study or none, a decrypt below the study floor are refused; the key keeps the derived t', async () => {
    const consortium = await startCustodianConsortium(join(root, 'lowered-t'));
    try {
      const gw = consortium.coordinator.custodian;
      // The study as announced: 3 parties, min_parties 3 -> the custodian's own floor is t >= 3.
      const study = heStudy('s5', parties, { minParties: 3 });
      const refusedKey = async (s: ReturnType<typeof heStudy>, t: number): Promise<string> => codeOf(gw.publicKey(s, params, t, 30_000));
      expect(await refusedKey(study, 2)).toBe(ErrorCode.ThresholdBelowPlan);
      expect(await refusedKey(study, 1)).toBe(ErrorCode.ThresholdBelowPlan);
      // f = 2 colluders: no sum of fewer than f + 1 = 3 contributors, whatever min_parties says.
      expect(await refusedKey(heStudy('s6', parties, { minParties: 1, colluders: 2 }), 2)).toBe(ErrorCode.ThresholdBelowPlan);
      // The spec of another study, or none, is not a basis for an HE key (the custodian's own API: the gateway names the study from its spec).
      expect(await codeOf(consortium.custodian!.keys.publicKey({ studyId: 's5', params, minContributors: 3, study: { ...study, spec: { ...study.spec, studyId: 'elsewhere' } } }))).toBe(ErrorCode.ProtocolViolation);
      expect(await codeOf(consortium.custodian!.keys.publicKey({ studyId: 's5', params, minContributors: 3, study: undefined }))).toBe(ErrorCode.InvalidArgument);
      // Nothing above made a key: the honest request gets a key with the derived t, bound to the spec.
      const key = await gw.publicKey(study, params, 3, 30_000);
      expect(key.minContributors).toBe(3);
      expect(key.specHash).toBe(studySpecHash(study.spec, study.parties));
      // The same key for another version of the study (the coordinator changed min_parties) is refused.
      expect(await codeOf(consortium.custodian!.keys.publicKey({ studyId: 's5', params, minContributors: 3, study: heStudy('s5', parties, { minParties: 2 }) }))).toBe(ErrorCode.SpecChanged);
      // A decrypt request naming a t below the study's floor, or a party never invited, is refused.
      const all = await aggregateOf('s5/r0', key.publicKey, parties);
      expect(await codeOf(gw.decrypt(key.keyId, 2, all, 30_000))).toBe(ErrorCode.ThresholdBelowPlan);
      expect(await codeOf(gw.decrypt(key.keyId, 3, { ...all, contributors: ['p1', 'p2', 'mallory'] }, 30_000))).toBe(ErrorCode.ProtocolViolation);
      expect([...(await gw.decrypt(key.keyId, 3, all, 30_000))].map((v) => BigInt(v))).toEqual(expectedSum(parties));
    } finally {
      await consortium.stop();
    }
  });
});

describe('simulate --aggregation he', () => {
  it('gives byte-identical synthetic data to plain and masking (MST, 3 parties, first 5000 Adult rows)', async () => {
    const domain = Domain.fromJson(JSON.parse(readFileSync('data/adult-domain.json', 'utf8')) as Record<string, number>);
    const text = readFileSync('data/adult.csv', 'utf8').split('\n').slice(0, 5001).join('\n') + '\n';
    const table = EncodedTable.fromCsv(text, domain);
    const csv: Record<string, Buffer> = {};
    for (const aggregation of ['he', 'plain', 'masking'] as const) {
      const out = join(root, `sim-${aggregation}`);
      await runSimulation({
        table,
        domain,
        parties: 3,
        split: parsePartySplit('dirichlet:0.5'),
        splitText: 'dirichlet:0.5',
        epsilon: 1,
        delta: 1e-9,
        mechanism: 'mst',
        aggregation,
        rows: 2000,
        seed: '1',
        out,
        drop: 0,
        colluders: 0,
        log: silentLogger(),
      });
      csv[aggregation] = readFileSync(join(out, 'synthetic.csv'));
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { aggregation: string };
      expect(run.aggregation).toBe(aggregation);
    }
    expect(csv.he.length).toBeGreaterThan(0);
    expect(csv.he.equals(csv.plain)).toBe(true);
    expect(csv.he.equals(csv.masking)).toBe(true);
  });
});
