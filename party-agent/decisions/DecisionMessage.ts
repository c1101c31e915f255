// DecisionMessage: what this party tells the coordinator about a study — its decision on an
// announcement, or its refusal of a changed re-announcement (sent as wire messages by transport/decisionToWire).

export type DecisionMessage =
  /** Approved or refused, with the reason shown to the operator. */
  | { readonly kind: 'decision'; readonly studyId: string; readonly approved: boolean; readonly reason: string }
  /** A re-announcement refused (its spec changed, or the stored one cannot be read); nothing stored changed. */
  | { readonly kind: 'respecRefused'; readonly studyId: string; readonly code: string; readonly message: string };
