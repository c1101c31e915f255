// adultColumns: a few columns of the first rows of the bundled data/adult.csv as an EncodedTable,
// the small real table the gradient-path tests train on.
import { readFileSync } from 'node:fs';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';

/** The columns `keep` (in that order) of the first `rows` rows of data/adult.csv. */
export function adultColumns(keep: readonly string[], rows: number): { domain: Domain; table: EncodedTable } {
  const full = Domain.fromJson(JSON.parse(readFileSync('data/adult-domain.json', 'utf8')) as Record<string, number>);
  const domain = new Domain([...keep], keep.map((a) => full.sizeOf(a)));
  const lines = readFileSync('data/adult.csv', 'utf8').split('\n').slice(0, rows + 1);
  const header = lines[0].split(',');
  const cols = keep.map((a) => header.indexOf(a));
  const body = lines.slice(1).filter((l) => l.length > 0).map((l) => {
    const f = l.split(',');
    return cols.map((c) => f[c]).join(',');
  });
  return { domain, table: EncodedTable.fromCsv([keep.join(','), ...body].join('\n') + '\n', domain) };
}
