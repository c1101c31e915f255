// The bundled public tables (data/*.csv + *-domain.json, docs/data.md): each parses against its
// domain (every code in range, header = domain columns) with the documented shape.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';

const TABLES: readonly { name: string; rows: number; columns: number }[] = [
  { name: 'adult', rows: 48_842, columns: 14 },
  { name: 'diamonds', rows: 53_940, columns: 10 },
  { name: 'ames', rows: 2_930, columns: 74 },
  { name: 'lending_club', rows: 9_857, columns: 23 },
];

describe('bundled public tables', () => {
  for (const t of TABLES) {
    it(`${t.name}: ${t.rows} rows x ${t.columns} columns of codes within the domain`, () => {
      const domain = Domain.fromJson(JSON.parse(readFileSync(`data/${t.name}-domain.json`, 'utf8')) as Record<string, number>);
      const table = EncodedTable.fromCsv(readFileSync(`data/${t.name}.csv`, 'utf8'), domain);
      expect([table.rowCount, domain.attrs.length]).toEqual([t.rows, t.columns]);
      // No column is constant (the coding rule keeps at least two codes of every varying column).
      for (let j = 0; j < domain.attrs.length; j++) expect(new Set(table.columns[j]).size).toBeGreaterThanOrEqual(2);
    });
  }
});
