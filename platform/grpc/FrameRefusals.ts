// FrameRefusals: a stream endpoint's record of well-formed frames it refuses (replayed, out of
// order, without a body, for nothing pending): one typed warn line naming the field, and a count.
import type { Logger } from 'pino';
import { FedsynthError, type ErrorCode } from '../../shared/errors/FedsynthError.js';

/** Refusals by "CODE field", e.g. "OUT_OF_STEP seq". */
export type RefusalCounts = Readonly<Record<string, number>>;

export class FrameRefusals {
  private readonly counts = new Map<string, number>();
  private refusedTotal = 0;

  /** `from`: whose frames these are, for the log line ("agent", "coordinator", "custodian"). */
  constructor(
    private readonly log: Logger,
    private readonly from: string,
  ) {}

  /**
   * Records one refused frame: a warn line `refused a frame of the <from>: <field>: <message>` with
   * {code, field, ...details}, counted under "CODE field". Returns the typed error (for a reply
   * where the stream has a way to send one).
   */
  refuse(field: string, code: ErrorCode, message: string, details: Record<string, unknown> = {}): FedsynthError {
    const key = `${code} ${field}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.refusedTotal += 1;
    this.log.warn({ ...details, code, field }, `refused a frame of the ${this.from}: ${field}: ${message}`);
    return new FedsynthError(code, message, { ...details, field });
  }

  /** Frames refused so far. */
  get total(): number {
    return this.refusedTotal;
  }

  /** Refusals so far by "CODE field". */
  byField(): RefusalCounts {
    return Object.fromEntries(this.counts);
  }
}
