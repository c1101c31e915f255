// fileSha256: the SHA-256 of a file read in 1 MiB pieces, so hashing an output (a synthetic.csv of
// millions of rows) holds one piece, never the whole file.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** Bytes read per piece. */
const PIECE = 1 << 20;

/** Hex SHA-256 of the file at `path`. */
export function fileSha256(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(PIECE);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buf, 0, PIECE, null); n > 0; n = readSync(fd, buf, 0, PIECE, null)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
