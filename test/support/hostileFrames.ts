// hostileFrames: a seeded generator of hostile protobuf frames from valid ones — truncated, bit-flipped,
// random, bad tags, over-long lengths, oversized, fields reordered, and verbatim replays.
import { seededRandomSource, type RandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';

export type HostileKind = 'truncated' | 'bitflip' | 'random' | 'badTag' | 'overlong' | 'oversized' | 'reordered' | 'replayed';
export const HOSTILE_KINDS: readonly HostileKind[] = ['truncated', 'bitflip', 'random', 'badTag', 'overlong', 'oversized', 'reordered', 'replayed'];

export interface HostileFrame {
  kind: HostileKind;
  bytes: Buffer;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Splits a valid encoding into its top-level fields (tag, wire type and payload bytes each). */
export function topLevelFields(b: Uint8Array): Uint8Array[] {
  const fields: Uint8Array[] = [];
  let i = 0;
  const readVarint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const byte = b[i++];
      v += (byte & 0x7f) * mul;
      mul *= 128;
      if (byte < 0x80) return v;
    }
  };
  while (i < b.length) {
    const start = i;
    const tag = readVarint();
    const wire = tag & 7;
    if (wire === 0) readVarint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const length = readVarint(); // (not `i += readVarint()`: that reads i before the call moves it)
      i += length;
    }
    else throw new Error(`unsupported wire type ${wire}`);
    fields.push(b.subarray(start, i));
  }
  return fields;
}

function bytes(rng: RandomSource, n: number): Buffer {
  return Buffer.from(rng.nextBytes(n));
}

/**
 * `count` hostile frames derived from `valid` encodings, kinds in turn (so every kind appears about
 * count/8 times), reproducible from `seed`. `oversizeBytes` is the payload of an oversized frame.
 */
export function hostileFrames(seed: string, valid: readonly Uint8Array[], count: number, oversizeBytes = 256 * 1024): HostileFrame[] {
  const rng = seededRandomSource('hostile-frames', seed);
  const pick = (): Buffer => Buffer.from(valid[uniformInt(rng, valid.length)]);
  const out: HostileFrame[] = [];
  for (let k = 0; k < count; k++) {
    const kind = HOSTILE_KINDS[k % HOSTILE_KINDS.length];
    const base = pick();
    let b: Buffer;
    switch (kind) {
      case 'truncated':
        b = base.subarray(0, base.length > 1 ? uniformInt(rng, base.length - 1) + 1 : 0);
        break;
      case 'bitflip': {
        b = Buffer.from(base);
        const flips = 1 + uniformInt(rng, 8);
        for (let f = 0; f < flips && b.length > 0; f++) b[uniformInt(rng, b.length)] ^= 1 << uniformInt(rng, 8);
        break;
      }
      case 'random':
        b = bytes(rng, 1 + uniformInt(rng, 512));
        break;
      case 'badTag':
        // Field number 0, or wire types 6/7 (undefined), or a group end without a start.
        b = Buffer.concat([Buffer.from([[0x00, 0x0e, 0x0f, 0x0c][uniformInt(rng, 4)]]), base]);
        break;
      case 'overlong': {
        // A length-delimited field (number 1..15) whose length runs past the end of the frame.
        const field = 1 + uniformInt(rng, 15);
        b = Buffer.concat([base, Buffer.from([(field << 3) | 2, ...varint(base.length + 1 + uniformInt(rng, 1 << 20))]), bytes(rng, uniformInt(rng, 8))]);
        break;
      }
      case 'oversized': {
        // A valid frame plus a huge unknown length-delimited field (number 1000) — decodes, skipped or refused.
        const payload = Buffer.alloc(oversizeBytes, 0x41);
        b = Buffer.concat([base, Buffer.from([...varint((1000 << 3) | 2), ...varint(payload.length)]), payload]);
        break;
      }
      case 'reordered': {
        const fields = topLevelFields(base);
        for (let i = fields.length - 1; i > 0; i--) {
          const j = uniformInt(rng, i + 1);
          [fields[i], fields[j]] = [fields[j], fields[i]];
        }
        b = Buffer.concat(fields);
        break;
      }
      case 'replayed':
        b = base;
        break;
    }
    out.push({ kind, bytes: b });
  }
  return out;
}

/** True when `decode` accepts the bytes (the generated decoder, as the service would run it). */
export function decodes(decode: (b: Uint8Array) => unknown, b: Uint8Array): boolean {
  try {
    decode(b);
    return true;
  } catch {
    return false;
  }
}
