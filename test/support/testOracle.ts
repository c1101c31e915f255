// testOracle: small synthetic tables (dependentTable) split into in-memory parties behind an
// InProcessOracle, for the shared/synth tests (the production distributed discrete Gaussian noise).
import { Domain } from '../../shared/pgm/Domain.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { EncodedTable, allocColumn } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { splitParties } from '../../shared/data/splitParties.js';
import { InProcessOracle, type RhoCharge } from '../../shared/synth/InProcessOracle.js';

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
export function testOracle(table: EncodedTable, parties: number, seed: string): { oracle: InProcessOracle; charges: RhoCharge[] } {
  const charges: RhoCharge[] = [];
  const parts = parties === 1 ? [table] : splitParties(table, parties, 'random', seededRandomSource(seed, 'test/split'));
  const oracle = new InProcessOracle({
    domain: table.domain,
    parties: parts.map((p) => new InMemoryMarginalSource(p)),
    seed,
    onCharge: (c) => charges.push(c),
  });
  return { oracle, charges };
}
