// x509Runtime: @peculiar/x509 loaded with its prerequisites (Reflect metadata shim, node webcrypto
// as crypto provider). Every fedsynth module imports `x509` from here, never the package directly.
import './reflectMetadataShim.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** WebCrypto key types (lib.dom is not in this project's lib). */
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** ECDSA P-256 with SHA-256: the consortium's only certificate signature algorithm. */
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export { x509, webcrypto };
