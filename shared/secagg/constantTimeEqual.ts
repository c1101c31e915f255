// constantTimeEqual: compare two byte strings without an early exit on the first differing byte.
// JS cannot promise constant time (JIT, GC); this removes the data-dependent branch we control.

/** True when `a` and `b` have the same length and bytes; the loop always runs over all bytes. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false; // lengths are public
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
