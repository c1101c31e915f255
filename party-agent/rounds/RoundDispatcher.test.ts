// Tests of RoundDispatcher's per-attempt state: a retry's query chunks start afresh (not on top of an
// abandoned attempt's), and an HE chunk request reaches the participant naming its study, round and attempt.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { silentLogger } from '../../platform/logging/logging.js';
import type { AgentMessage, RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { HeParticipant } from './HeParticipant.js';
import type { ApprovedStudy } from './ComputeContext.js';
import type { RoundAttemptId } from './RoundAttempts.js';
import { RoundDispatcher, type RoundDispatcherOptions } from './RoundDispatcher.js';

type Body = NonNullable<AgentMessage['body']>;

/** A dispatcher whose stages before the compute stage need nothing else (query chunks, HE chunk pulls). */
function dispatcher(he?: Pick<HeParticipant, 'chunk'>): RoundDispatcher {
  const opts = {
    log: silentLogger(),
    audit: () => undefined,
    partyId: () => 'p1',
    approvedStudy: (studyId: string) => ({ studyId }) as unknown as ApprovedStudy,
    masking: undefined,
    he,
  };
  return new RoundDispatcher(opts as unknown as RoundDispatcherOptions);
}

/** Sends `req` as the agent does (noted on arrival, then handled); returns the reply stage. */
async function ask(d: RoundDispatcher, req: RoundRequest): Promise<Body> {
  d.arrived(req);
  let out: Body | undefined;
  await d.onRound(req, (b) => (out = b));
  if (!out) throw new Error('no reply');
  return out;
}

const queryChunk = (attempt: number, chunkIndex: number): RoundRequest => ({
  studyId: 's1',
  roundId: 's1/r0',
  roundIndex: 0,
  attempt,
  stage: { $case: 'queryChunk', value: { chunkIndex, chunkCount: 3, data: Buffer.from([chunkIndex]) } },
});

describe('RoundDispatcher per-attempt state', () => {
  it("a retry's query chunk 0 starts a new query: the abandoned attempt's chunks are not a duplicate of it", async () => {
    const d = dispatcher();
    expect(await ask(d, queryChunk(1, 0))).toMatchObject({ $case: 'roundReply', value: { attempt: 1, stage: { $case: 'queryChunkAck', value: { chunkIndex: 0 } } } });
    // Attempt 1 timed out at the coordinator here; attempt 2 sends its query from chunk 0.
    expect(await ask(d, queryChunk(2, 0))).toMatchObject({ value: { attempt: 2, stage: { $case: 'queryChunkAck', value: { chunkIndex: 0 } } } });
    expect(await ask(d, queryChunk(2, 1))).toMatchObject({ value: { attempt: 2, stage: { $case: 'queryChunkAck', value: { chunkIndex: 1 } } } });
    // Within one attempt a repeated chunk is still refused.
    expect(await ask(d, queryChunk(2, 1))).toMatchObject({ value: { stage: { $case: 'refusal', value: { code: ErrorCode.ProtocolViolation } } } });
  });

  it("a round id that does not start with its study's id is refused for every stage, before anything is held or served", async () => {
    const served: string[] = [];
    const d = dispatcher({
      chunk: (round) => {
        served.push(round.roundId);
        return { $case: 'heCiphertexts', value: { ciphertexts: [], signature: Buffer.alloc(0), chunkIndex: 1, chunkCount: 2, ciphertextCount: 2 } };
      },
    });
    const refused = { value: { stage: { $case: 'refusal', value: { code: ErrorCode.ProtocolViolation } } } };
    for (const roundId of ['s2/r0', 'r0', 's1r0', 's1', '']) {
      expect(await ask(d, { ...queryChunk(1, 0), roundId })).toMatchObject(refused);
      expect(await ask(d, { studyId: 's1', roundId, roundIndex: 0, attempt: 1, stage: { $case: 'heEncrypt', value: { chunkIndex: 1 } } })).toMatchObject(refused);
      expect(await ask(d, { studyId: 's1', roundId, roundIndex: 0, attempt: 1, stage: { $case: 'compute', value: {} } } as unknown as RoundRequest)).toMatchObject(refused);
    }
    expect(served).toEqual([]);
    // The study's own round id is served.
    expect(await ask(d, queryChunk(1, 0))).toMatchObject({ value: { stage: { $case: 'queryChunkAck' } } });
  });

  it('an HE chunk request is served for its own study, round and attempt', async () => {
    const asked: RoundAttemptId[] = [];
    const d = dispatcher({
      chunk: (round) => {
        asked.push({ studyId: round.studyId, roundId: round.roundId, attempt: round.attempt });
        return { $case: 'heCiphertexts', value: { ciphertexts: [], signature: Buffer.alloc(0), chunkIndex: 1, chunkCount: 2, ciphertextCount: 2 } };
      },
    });
    await ask(d, { studyId: 's1', roundId: 's1/r0', roundIndex: 0, attempt: 2, stage: { $case: 'heEncrypt', value: { chunkIndex: 1 } } });
    expect(asked).toEqual([{ studyId: 's1', roundId: 's1/r0', attempt: 2 }]);
  });
});
