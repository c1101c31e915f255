// CustodianStore: the key custodian's durable state (SQLite, WAL, synchronous=FULL, file mode 0600):
// one BFV key pair per study and parameters, and every round it decrypted (decrypt-once record, by
// round id and by charge key).
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { openDurableDatabase } from '../platform/sqlite/openDurableDatabase.js';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import type { HeParams } from '../shared/he/HeParameters.js';

/** A stored key pair (the secret key never leaves this store and the custodian process). */
export interface StoredKey {
  keyId: string;
  studyId: string;
  params: HeParams;
  /** The key's threshold t, fixed at creation. */
  minContributors: number;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  /** studySpecHash of the announced study the key was made for ('' for keys of older versions). */
  specHash: string;
  /** The study's invited parties (contributors must be among them; empty for keys of older versions). */
  parties: string[];
  /** The custodian's own floor for t derived from that study (shared/he/custodianThreshold). */
  derivedFloor: number;
}

/** A round the custodian decrypted: who contributed and the sum it returned. */
export interface StoredDecryption {
  keyId: string;
  roundId: string;
  contributors: string[];
  sum: Uint8Array;
  /** The round's charge key ('' when the request named none). */
  chargeKey: string;
}

interface KeyRow {
  key_id: string;
  study_id: string;
  poly_modulus_degree: number;
  plain_modulus_bits: number;
  min_contributors: number;
  public_key: Buffer;
  secret_key: Buffer;
  spec_hash: string;
  parties_json: string;
  derived_floor: number;
}

export class CustodianStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    try {
      // Create the file owner-only before SQLite writes a secret key into it.
      if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600 });
      chmodSync(path, 0o600);
      this.db = openDurableDatabase(path, `
        CREATE TABLE IF NOT EXISTS keys (key_id TEXT PRIMARY KEY, study_id TEXT NOT NULL,
          poly_modulus_degree INTEGER NOT NULL, plain_modulus_bits INTEGER NOT NULL,
          min_contributors INTEGER NOT NULL, public_key BLOB NOT NULL, secret_key BLOB NOT NULL,
          created_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS decryptions (key_id TEXT NOT NULL, round_id TEXT NOT NULL,
          contributors_json TEXT NOT NULL, sum BLOB NOT NULL, decrypted_ms INTEGER NOT NULL,
          PRIMARY KEY (key_id, round_id));
      `);
      // The study a key was made for (added later: older keys have none).
      const keyColumns = new Set((this.db.prepare('PRAGMA table_info(keys)').all() as { name: string }[]).map((c) => c.name));
      if (!keyColumns.has('spec_hash')) this.db.exec("ALTER TABLE keys ADD COLUMN spec_hash TEXT NOT NULL DEFAULT ''");
      if (!keyColumns.has('parties_json')) this.db.exec("ALTER TABLE keys ADD COLUMN parties_json TEXT NOT NULL DEFAULT '[]'");
      if (!keyColumns.has('derived_floor')) this.db.exec('ALTER TABLE keys ADD COLUMN derived_floor INTEGER NOT NULL DEFAULT 0');
      // Decrypt-once per charge key (added later: older files gain the column, '' = none).
      const columns = this.db.prepare('PRAGMA table_info(decryptions)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'charge_key')) this.db.exec("ALTER TABLE decryptions ADD COLUMN charge_key TEXT NOT NULL DEFAULT ''");
      this.db.exec("CREATE UNIQUE INDEX IF NOT EXISTS decryptions_by_charge ON decryptions(key_id, charge_key) WHERE charge_key != ''");
    } catch (e) {
      throw new FedsynthError(ErrorCode.CorruptState, `custodian state file ${path} cannot be opened: ${(e as Error).message}`, { path });
    }
  }

  close(): void {
    this.db.close();
  }

  key(keyId: string): StoredKey | undefined {
    const r = this.db.prepare('SELECT * FROM keys WHERE key_id = ?').get(keyId) as KeyRow | undefined;
    if (!r) return undefined;
    const n = r.poly_modulus_degree;
    if (n !== 4096 && n !== 8192) throw new FedsynthError(ErrorCode.CorruptState, `stored key ${keyId} has an invalid ring degree ${n}`, { keyId });
    return {
      keyId: r.key_id,
      studyId: r.study_id,
      params: { polyModulusDegree: n, plainModulusBits: r.plain_modulus_bits },
      minContributors: r.min_contributors,
      publicKey: new Uint8Array(r.public_key),
      secretKey: new Uint8Array(r.secret_key),
      specHash: r.spec_hash,
      parties: JSON.parse(r.parties_json) as string[],
      derivedFloor: r.derived_floor,
    };
  }

  /** Inserts a key unless one with this id exists; returns the stored one either way. */
  putKey(k: StoredKey): StoredKey {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO keys(key_id, study_id, poly_modulus_degree, plain_modulus_bits, min_contributors, public_key, secret_key, created_ms, spec_hash, parties_json, derived_floor)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(k.keyId, k.studyId, k.params.polyModulusDegree, k.params.plainModulusBits, k.minContributors, Buffer.from(k.publicKey), Buffer.from(k.secretKey), Date.now(), k.specHash, JSON.stringify(k.parties), k.derivedFloor);
    return this.key(k.keyId)!;
  }

  decryption(keyId: string, roundId: string): StoredDecryption | undefined {
    return this.decryptionWhere('round_id', keyId, roundId);
  }

  /** The decryption recorded for a charge key (never for ''). */
  decryptionOfCharge(keyId: string, chargeKey: string): StoredDecryption | undefined {
    return chargeKey === '' ? undefined : this.decryptionWhere('charge_key', keyId, chargeKey);
  }

  private decryptionWhere(column: 'round_id' | 'charge_key', keyId: string, value: string): StoredDecryption | undefined {
    const r = this.db.prepare(`SELECT round_id, contributors_json, sum, charge_key FROM decryptions WHERE key_id = ? AND ${column} = ?`).get(keyId, value) as
      | { round_id: string; contributors_json: string; sum: Buffer; charge_key: string }
      | undefined;
    return r ? { keyId, roundId: r.round_id, contributors: JSON.parse(r.contributors_json) as string[], sum: new Uint8Array(r.sum), chargeKey: r.charge_key } : undefined;
  }

  /** Records a decryption BEFORE its sum is sent (so a crash cannot allow a second one). */
  recordDecryption(d: StoredDecryption): void {
    this.db
      .prepare('INSERT INTO decryptions(key_id, round_id, contributors_json, sum, decrypted_ms, charge_key) VALUES (?, ?, ?, ?, ?, ?)')
      .run(d.keyId, d.roundId, JSON.stringify(d.contributors), Buffer.from(d.sum), Date.now(), d.chargeKey);
  }

  decryptionCount(keyId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM decryptions WHERE key_id = ?').get(keyId) as { n: number }).n;
  }
}
