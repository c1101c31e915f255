// _secaggLoopbackAgent: one party process of bench/secaggLoopback.ts — an mTLS AgentGateway stream
// answering round stages with a fixed integer vector (plain) or through the real MaskingParticipant.
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { AgentGatewayClient, AgentMessage, type CoordinatorMessage, type RoundReply } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { CONSORTIUM_PROTOCOL_VERSION } from '../shared/study/protocolVersion.js';
import { loadTrust } from '../platform/pki/loadTrust.js';
import { signerVerifier } from '../platform/pki/peerIdentityFromCertificate.js';
import { cryptoRandomSource } from '../shared/dp/random/RandomSource.js';
import { encodeIntVector } from '../shared/wire/intVectorCodec.js';
import { computeStageFromWire } from '../platform/wire/computeStageWire.js';
import { MaskingParticipant } from '../party-agent/rounds/MaskingParticipant.js';

/** The bench's input of party `index`: |x| <= 1000, cheap and reproducible (the coordinator checks the sum). */
export function benchInput(index: number, m: number): Float64Array {
  const v = new Float64Array(m);
  for (let i = 0; i < m; i++) v[i] = ((i * 7919 + index * 104729) % 2001) - 1000;
  return v;
}

/** What the agent reports per round: upload bytes (AgentMessage + 5-byte gRPC frame) and CPU seconds. */
export interface AgentRoundStats {
  roundId: string;
  bytesSent: number;
  cpuSeconds: number;
}

async function main(): Promise<void> {
  const [kitDir, caDir, address, indexText] = process.argv.slice(2);
  const index = Number(indexText);
  const kit = loadKit(kitDir);
  const trust = await loadTrust(caDir);
  const partyId = kit.identity.partyId;
  const masking = new MaskingParticipant(
    {
      partyId,
      signingSecretKey: kit.sodiumSigningSecretKey,
      certificate: new Uint8Array(new X509Certificate(kit.certPem).raw),
      verifyPeer: signerVerifier(trust),
    },
    cryptoRandomSource(),
  );
  const client = new AgentGatewayClient(address, grpc.credentials.createSsl(kit.tls.ca, kit.tls.key, kit.tls.cert), {
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
    'grpc.ssl_target_name_override': 'localhost',
  });
  const stream = client.connect();
  let seq = 0;
  const stats = new Map<string, AgentRoundStats>();
  const send = (msg: Omit<AgentMessage, 'seq'>, roundId?: string): void => {
    const full: AgentMessage = { seq: ++seq, body: msg.body };
    if (roundId) stats.get(roundId)!.bytesSent += AgentMessage.encode(full).finish().byteLength + 5;
    stream.write(full);
  };
  let queue = Promise.resolve();
  stream.on('data', (m: CoordinatorMessage) => {
    if (m.body?.$case !== 'roundRequest') return;
    const req = m.body.value;
    queue = queue.then(async () => {
      const st = stats.get(req.roundId) ?? { roundId: req.roundId, bytesSent: 0, cpuSeconds: 0 };
      stats.set(req.roundId, st);
      const c0 = process.cpuUsage();
      let stage: RoundReply['stage'];
      if (req.stage?.$case === 'compute') {
        const compute = computeStageFromWire(req.stage.value);
        const enc = encodeIntVector(benchInput(index, compute.vectorLength));
        stage = compute.aggregation === 'masking'
          ? await masking.begin(req, compute, { noisy: enc.bytes, elementBits: enc.elementBits })
          : { $case: 'plain', value: { noisyVector: Buffer.from(enc.bytes), elementBits: enc.elementBits } };
      } else {
        stage = await masking.handle(req);
      }
      send({ body: { $case: 'roundReply', value: { studyId: req.studyId, roundId: req.roundId, attempt: req.attempt, stage } } }, req.roundId);
      const c = process.cpuUsage(c0);
      st.cpuSeconds += (c.user + c.system) / 1e6;
    }).catch((e: unknown) => {
      process.stderr.write(`agent ${partyId}: ${String(e)}\n`);
    });
  });
  stream.on('error', () => process.exit(0));
  send({ body: { $case: 'hello', value: { protocolVersion: CONSORTIUM_PROTOCOL_VERSION, softwareVersion: 'bench', domainHash: '', knownStudyIds: [] } } });
  process.on('message', (msg: unknown) => {
    if (msg === 'stats') process.send!({ partyId, rounds: [...stats.values()], maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) });
    if (msg === 'exit') {
      stream.end();
      client.close();
      process.exit(0);
    }
  });
}

if (process.send) void main();
