// Test support for shared/synth: small synthetic tables split into in-memory parties.
// Used by the *.test.ts files only (uses the INTERIM noise unless told otherwise).
import { Domain } from '../pgm/Domain.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { EncodedTable, allocColumn } from '../data/EncodedTable.js';
import { InMemoryMarginalSource } from '../data/InMemoryMarginalSource.js';
import { splitParties } from '../data/splitParties.js';
import { InProcessOracle, type RhoCharge } from './InProcessOracle.js';
import { interimDistributedNoise } from './interimDistributedNoise.js';
import type { DistributedNoise } from './DistributedNoise.js';

/** n rows over a,b,c,d,e: b = a (90%), d = (a + c) mod 3 (90%), e independent. */
export function dependentTable(n: number, seed: string): EncodedTable {
  const domain = new Domain(['a', 'b', 'c', 'd', 'e'], [3, 3, 3, 3, 4]);
  const rng = seededRandomSource(seed, 'test/rows');
  const cols = domain.shape.map((s) => allocColumn(s, n));
  for (let i = 0; i < n; i++) {
    const a = uniformInt(rng, 3);
    const c = uniformInt(rng, 3);
    cols[0][i] = a;
    cols[1][i] = uniformInt(rng, 10) < 9 ? a : uniformInt(rng, 3);
    cols[2][i] = c;
    cols[3][i] = uniformInt(rng, 10) < 9 ? (a + c) % 3 : uniformInt(rng, 3);
    cols[4][i] = uniformInt(rng, 4);
  }
  return new EncodedTable(domain, cols);
}

/** An oracle over `parties` random parts of `table`, recording every charge. */
export function testOracle(table: EncodedTable, parties: number, seed: string, noise: DistributedNoise = interimDistributedNoise): { oracle: InProcessOracle; charges: RhoCharge[] } {
  const charges: RhoCharge[] = [];
  const parts = parties === 1 ? [table] : splitParties(table, parties, 'random', seededRandomSource(seed, 'test/split'));
  const oracle = new InProcessOracle({
    domain: table.domain,
    parties: parts.map((p) => new InMemoryMarginalSource(p)),
    noise,
    seed,
    accountant: (c) => charges.push(c),
  });
  return { oracle, charges };
}
