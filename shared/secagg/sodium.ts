// loadSodium: the one place that waits for libsodium-wrappers (0.8) to be ready and hands it out.
// Everything in shared/secagg and shared/he that needs X25519, Ed25519 or AEAD goes through it.
import sodiumModule from 'libsodium-wrappers';

/** The libsodium API object (after `ready`). */
export type Sodium = typeof sodiumModule;

/** Resolves once libsodium's WebAssembly is initialised; cheap after the first call. */
export async function loadSodium(): Promise<Sodium> {
  await sodiumModule.ready;
  return sodiumModule;
}
