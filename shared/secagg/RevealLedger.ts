// RevealLedger: a party's record of which secret it has revealed for each peer, enforcing the rule
// of Bonawitz et al. that a party never reveals both the seed share and the key share of one peer.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** Which secret of a peer a share belongs to. */
export type SecretKind = 'seed' | 'key';

/** Remembers reveals for one round; refuses a second kind for the same peer. */
export class RevealLedger {
  private readonly revealed = new Map<string, SecretKind>();

  /** Records that `kind` of `peer` is revealed; throws ProtocolViolation if the other kind was. */
  reveal(peer: string, kind: SecretKind): void {
    const prior = this.revealed.get(peer);
    if (prior !== undefined && prior !== kind) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, 'refusing to reveal both the seed and the key share of one peer', { peer });
    }
    this.revealed.set(peer, kind);
  }

  /** What has been revealed for `peer`, if anything. */
  kindFor(peer: string): SecretKind | undefined {
    return this.revealed.get(peer);
  }
}
