// HeMessages: the serialised messages of homomorphic-mode aggregation: a party's signed encrypted
// contribution, and the aggregate the coordinator hands to the key custodian.

/** One party's encrypted vector: ceil(m / N) BFV ciphertexts, signed with its identity key. */
export interface HeContribution {
  roundId: string;
  partyId: string;
  vectorLength: number;
  ciphertexts: Uint8Array[];
  /** Ed25519 signature over contributionPayload(roundId, partyId, vectorLength, ciphertexts). */
  signature: Uint8Array;
}

/** The coordinator's sum of contributions: the only ciphertexts the custodian ever decrypts. */
export interface HeAggregate {
  roundId: string;
  contributors: string[];
  vectorLength: number;
  ciphertexts: Uint8Array[];
  /** The round's charge key: the key custodian decrypts each once, for one contributor set (optional in process). */
  chargeKey?: string;
}
