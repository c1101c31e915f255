// RandomSource: where every random bit in fedsynth comes from — a CSPRNG in production, or a
// documented, seeded, reproducible PRG (AES-256-CTR) for `--seed` in simulations and tests.
import { createCipheriv, createHash, randomFillSync } from 'node:crypto';

/** A source of uniformly random bits. Implementations must be cryptographically strong. */
export interface RandomSource {
  /** A uniform integer in [0, 2^32). */
  nextUint32(): number;
  /** `n` uniform random bytes (a fresh array). */
  nextBytes(n: number): Uint8Array;
}

/** Bytes fetched per refill: one randomFillSync (or one AES-CTR update) serves ~16 000 words. */
const BLOCK = 1 << 16;

/** Buffers a byte generator and serves words/bytes from it in a fixed order. */
class BufferedSource implements RandomSource {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  constructor(private readonly refill: (out: Buffer) => void) {}

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const rest = this.buf.subarray(this.pos);
    const next = Buffer.alloc(Math.max(BLOCK, n + rest.length));
    rest.copy(next, 0);
    this.refill(next.subarray(rest.length));
    this.buf = next;
    this.pos = 0;
  }

  nextUint32(): number {
    this.ensure(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  nextBytes(n: number): Uint8Array {
    this.ensure(n);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
}

/** The production source: the operating system CSPRNG through node:crypto. */
export function cryptoRandomSource(): RandomSource {
  return new BufferedSource((out) => {
    randomFillSync(out);
  });
}

/**
 * A deterministic PRG for `--seed` (simulation and tests only; `agent start` refuses seeds).
 * Key = SHA-256("fedsynth/v1/" + seed + "/" + stream), AES-256-CTR with a zero IV; the keystream
 * (encryption of zero bytes) is consumed in order, words read as little-endian uint32. Distinct
 * streams (e.g. `party/3/noise`) are independent for all practical purposes.
 */
export function seededRandomSource(seed: string, stream: string): RandomSource {
  const key = createHash('sha256').update(`fedsynth/v1/${seed}/${stream}`, 'utf8').digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  let zeros = Buffer.alloc(BLOCK);
  return new BufferedSource((out) => {
    if (zeros.length < out.length) zeros = Buffer.alloc(out.length);
    const ks = cipher.update(zeros.subarray(0, out.length));
    ks.copy(out, 0);
  });
}
