// AgentGateway: the coordinator's side of the agents' long-lived streams (enrolment, heartbeats,
// routing of decisions and round replies), with the party identity taken from the certificate.
import { CONSORTIUM_PROTOCOL_VERSION, protocolVersionMismatch } from '../../shared/study/protocolVersion.js';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import type { AgentGatewayServer, AgentMessage, CoordinatorMessage, StudyDecision, DeliveryAck } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentSession } from './AgentSession.js';
import { acceptStreamPeer } from './peerIdentity.js';
import { toGrpcError } from '../grpcErrors.js';
import { isMalformed } from '../../platform/grpc/tolerantDecoding.js';
import { FrameRefusals } from '../../platform/grpc/FrameRefusals.js';

/** Certificate roles (OU) that may open this gateway's stream. */
const PARTY_ROLES: ReadonlySet<string> = new Set(['party']);

export interface GatewayEvents {
  online: [partyId: string, hello: { knownStudyIds: string[]; domainHash: string }];
  offline: [partyId: string];
  decision: [partyId: string, decision: StudyDecision];
  deliveryAck: [partyId: string, ack: DeliveryAck];
}

export class AgentGateway extends EventEmitter<GatewayEvents> {
  private readonly sessions = new Map<string, AgentSession>();
  /** Well-formed agent frames refused (replayed, without a body, a second hello, a late reply, ...): logged naming the field, counted. */
  readonly refusedFrames: FrameRefusals;

  constructor(
    private readonly log: Logger,
    private readonly isRevoked: (serial: string) => boolean,
    private readonly heartbeatIntervalMs = 2000,
  ) {
    super();
    this.refusedFrames = new FrameRefusals(log, 'agent');
  }

  session(partyId: string): AgentSession | undefined {
    const s = this.sessions.get(partyId);
    return s && !s.closed ? s : undefined;
  }

  onlineParties(): string[] {
    return [...this.sessions.values()].filter((s) => !s.closed).map((s) => s.partyId).sort();
  }

  private lastSweepMs = Date.now();

  /**
   * Drops sessions that missed three heartbeats. If this process itself was busy (a long model fit
   * blocks the event loop and so delays every heartbeat), the sweep only resets the clocks.
   */
  sweep(now = Date.now()): void {
    const stalled = now - this.lastSweepMs > 2000;
    this.lastSweepMs = now;
    if (stalled) {
      for (const s of this.sessions.values()) s.lastSeenMs = Math.max(s.lastSeenMs, now);
      return;
    }
    for (const s of this.sessions.values()) {
      if (!s.closed && now - s.lastSeenMs > Math.max(3 * this.heartbeatIntervalMs + 1000, 20_000)) {
        this.log.warn({ partyId: s.partyId }, 'agent missed heartbeats; closing its session');
        s.close('missed heartbeats');
        this.emit('offline', s.partyId);
      }
    }
  }

  /**
   * A session heard from within two heartbeat intervals (+1 s) is live: a new hello under its
   * identity is a duplicate. An older one is a stale connection of the same agent and is replaced.
   */
  private liveWindowMs(): number {
    return 2 * this.heartbeatIntervalMs + 1000;
  }

  closeAll(): void {
    for (const s of this.sessions.values()) s.close('coordinator shutting down');
  }

  readonly service: AgentGatewayServer = {
    connect: (call: grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>) => {
      const peer = acceptStreamPeer(call, { isRevoked: this.isRevoked, roles: PARTY_ROLES, mayNot: 'connect as a party agent', refusal: 'refused an agent connection', log: this.log });
      if (!peer) return;
      const { partyId, certificate } = peer;
      let session: AgentSession | undefined;
      let lastSeq = 0;
      call.on('data', (msg: AgentMessage) => {
        if (isMalformed(msg)) {
          this.log.warn({ partyId, bytes: msg.bytes }, 'malformed agent frame: stream closed');
          call.emit('error', toGrpcError(msg.toError()));
          return;
        }
        try {
          /** Refuses the frame (typed warn line naming the field, counted) and tells the agent why. */
          const refuse = (field: string, code: ErrorCode, message: string, details: Record<string, unknown> = {}): void => {
            const e = this.refusedFrames.refuse(field, code, message, { partyId, ...details });
            call.write({ seq: 0, body: { $case: 'error', value: { code: e.code, message: e.message, studyId: '', roundId: '', field } } });
          };
          if (msg.seq <= lastSeq) {
            refuse('seq', ErrorCode.OutOfStep, `replayed or out-of-order message (seq ${msg.seq} after ${lastSeq})`, { seq: msg.seq });
            return;
          }
          lastSeq = msg.seq;
          const body = msg.body;
          if (!body) {
            refuse('body', ErrorCode.ProtocolViolation, 'message without a body (or of an unknown kind)');
            return;
          }
          if (!session) {
            if (body.$case !== 'hello') {
              refuse('body', ErrorCode.ProtocolViolation, 'first message must be hello', { got: body.$case });
              return;
            }
            const versionMismatch = protocolVersionMismatch(body.value.protocolVersion, 'agent');
            if (versionMismatch) {
              // Refused before any session exists: nothing of a study reaches an agent that would misread it.
              this.log.warn({ partyId, code: ErrorCode.ProtocolVersionMismatch, agentVersion: body.value.protocolVersion }, 'refused an agent of another protocol version');
              call.write({ seq: 0, body: { $case: 'error', value: { code: ErrorCode.ProtocolVersionMismatch, message: versionMismatch, studyId: '', roundId: '', field: 'hello.protocol_version' } } });
              call.end();
              return;
            }
            const old = this.sessions.get(partyId);
            if (old && !old.closed && Date.now() - old.lastSeenMs <= this.liveWindowMs()) {
              // Two agents with one kit would otherwise replace each other forever: the live first
              // connection stays, the second is refused with a typed error and its stream closed.
              const message = `party ${partyId} is already connected (its last message ${Date.now() - old.lastSeenMs} ms ago): a second agent with the same kit is refused; stop one of them`;
              this.log.warn({ partyId, code: ErrorCode.DuplicateIdentity }, 'refused a duplicate agent connection');
              call.write({ seq: 0, body: { $case: 'error', value: { code: ErrorCode.DuplicateIdentity, message, studyId: '', roundId: '', field: 'identity' } } });
              call.end();
              return;
            }
            if (old) old.close('replaced by a new connection');
            session = new AgentSession(partyId, certificate, call);
            this.sessions.set(partyId, session);
            session.send({ $case: 'welcome', value: { partyId, coordinatorId: 'coordinator', heartbeatIntervalMs: this.heartbeatIntervalMs, protocolVersion: CONSORTIUM_PROTOCOL_VERSION } });
            this.log.info({ partyId }, 'agent online');
            this.emit('online', partyId, { knownStudyIds: body.value.knownStudyIds, domainHash: body.value.domainHash });
            return;
          }
          session.lastSeenMs = Date.now();
          switch (body.$case) {
            case 'heartbeat':
              session.send({ $case: 'heartbeat', value: { unixMs: Date.now() } });
              break;
            case 'studyDecision':
              this.emit('decision', partyId, body.value);
              break;
            case 'roundReply':
              if (!session.deliver(body.value)) {
                // Late (after a timeout, or the answer to an earlier attempt of a retried round) or for
                // no request: nothing acts on it; no reply to the agent.
                this.refusedFrames.refuse('round_reply.round_id', ErrorCode.OutOfStep, `late or unexpected round reply: no stage of this round's attempt ${body.value.attempt} is waiting`, { partyId, studyId: body.value.studyId, roundId: body.value.roundId, attempt: body.value.attempt });
              }
              break;
            case 'deliveryAck':
              this.emit('deliveryAck', partyId, body.value);
              break;
            case 'error':
              this.log.warn({ partyId, code: body.value.code, studyId: body.value.studyId }, `agent reported: ${body.value.message}`);
              break;
            case 'hello':
              refuse('hello', ErrorCode.OutOfStep, 'second hello on one stream');
              break;
          }
        } catch (e) {
          this.log.error({ partyId, err: isFedsynthError(e) ? e.code : String(e) }, 'error handling agent message');
        }
      });
      const end = (why: string) => {
        // A stream's 'end' and 'cancelled'/'error' may both fire: go offline once.
        if (session && !session.closed && this.sessions.get(partyId) === session) {
          session.close(why);
          this.log.info({ partyId, why }, 'agent offline');
          this.emit('offline', partyId);
        }
      };
      call.on('end', () => {
        end('stream ended');
        try {
          call.end();
        } catch {
          // ignore
        }
      });
      call.on('error', (e) => end(`stream error: ${e.message}`));
      call.on('cancelled', () => end('stream cancelled'));
    },
  };
}
