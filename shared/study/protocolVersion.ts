// protocolVersion: the consortium protocol version an agent and a coordinator must both speak; a
// mismatch is refused at hello (coordinator) and at welcome (agent), before any study or round.
//
// History (docs/protocol.md, "Versions"):
//   1  the first wave: l1Scores queries carried a dense reference table per candidate.
//   2  l1Scores carries one 1-way table per column and the agent derives each reference itself;
//      aimRounds ships the fitted model; gradientStep (dpsgd) queries exist. A version-1 agent
//      would read a version-2 l1Scores reference as per-candidate tables: refused, not misread.
//   3  riskCounts may carry singling-out families, which lengthen its answer and raise its
//      sensitivity to sqrt(m + 2 + 4F); a version-2 agent would drop the families and answer 4m + 4
//      entries planned for the wrong sensitivity: refused at hello instead.
//   4  RoundRequest.attempt / RoundReply.attempt: the agent echoes the coordinator's attempt number
//      and the coordinator takes a reply only for the attempt it waits on; a version-3 agent would
//      echo nothing and every reply would be dropped as late: refused at hello instead.
export const CONSORTIUM_PROTOCOL_VERSION = 4;

/** Why `theirs` cannot talk to this build (undefined when it can). */
export function protocolVersionMismatch(theirs: number, peer: 'agent' | 'coordinator'): string | undefined {
  if (theirs === CONSORTIUM_PROTOCOL_VERSION) return undefined;
  const self = peer === 'agent' ? 'coordinator' : 'agent';
  return `the ${peer} speaks consortium protocol version ${theirs}, this ${self} speaks ${CONSORTIUM_PROTOCOL_VERSION}: upgrade ${theirs < CONSORTIUM_PROTOCOL_VERSION ? `the ${peer}` : `this ${self}`} so both run the same fedsynth release`;
}
