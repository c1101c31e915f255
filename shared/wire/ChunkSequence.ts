// ChunkSequence: the framing check of one message sent as ordered chunks over one stream (index /
// count, a header repeated unchanged on every chunk): refuses duplicates, gaps, changed totals.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

export class ChunkSequence {
  private next = 0;
  private count: number | undefined;
  private header: string | undefined;

  /** `what` names the message in errors; `details` are added to every refusal. */
  constructor(
    private readonly what: string,
    private readonly details: Record<string, unknown> = {},
  ) {}

  refuse(message: string, extra: Record<string, unknown> = {}): never {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `${this.what}: ${message}`, { ...this.details, ...extra });
  }

  /** True once the last chunk was accepted. */
  get complete(): boolean {
    return this.count !== undefined && this.next === this.count;
  }

  /**
   * Accepts chunk `index` of `count` whose header fields serialise to `header`; chunks must come
   * in order 0, 1, ... (one stream keeps order). Returns true when it was the last chunk.
   * Refuses (ProtocolViolation) a count outside 1..maxCount or different from the first chunk's, a
   * changed header, a repeated index, a skipped index and anything after the last chunk.
   */
  accept(index: number, count: number, header: string, maxCount: number): boolean {
    if (this.complete) this.refuse(`chunk ${index} arrived after the last chunk`, { chunk: index });
    if (!Number.isInteger(count) || count < 1 || count > maxCount) this.refuse(`chunk count ${count} is not in [1, ${maxCount}]`);
    if (this.count === undefined) {
      this.count = count;
      this.header = header;
    } else if (count !== this.count) {
      this.refuse(`chunk count changed from ${this.count} to ${count}`);
    } else if (header !== this.header) {
      this.refuse(`chunk ${index} changes the header fields of chunk 0`, { chunk: index });
    }
    if (!Number.isInteger(index) || index < 0 || index >= count) this.refuse(`chunk index ${index} is outside 0..${count - 1}`, { chunk: index });
    if (index < this.next) this.refuse(`duplicate chunk ${index}`, { chunk: index });
    if (index > this.next) this.refuse(`chunk ${index} arrived before chunk ${this.next} (gap)`, { chunk: index, missing: this.next });
    this.next += 1;
    return this.next === count;
  }
}
