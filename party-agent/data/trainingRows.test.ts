// Row-level training data from every real source (mechanism dpsgd): CSV, Parquet and PostgreSQL hand
// the same rows, codes and continuous values as the reference encoder, under the same row policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { schemaDomain } from '../../shared/schema/columnLayout.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { CachingMarginalSource } from '../../shared/data/CachingMarginalSource.js';
import { TabularEncoding, type TabularRows } from '../../shared/neural/TabularEncoding.js';
import { tabularRowsFromRecords } from '../../shared/neural/tabularRowsFromRecords.js';
import { selectTabularRows } from '../../shared/neural/trainVae.js';
import { sampleRows } from '../../shared/eval/sampleRows.js';
import { ErrorCode, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { withInMemoryDuckDb } from '../../platform/duckdb/inMemoryDuckDb.js';
import { controlRowIndices, holdOutControl } from '../evaluation/ControlHoldout.js';
import { openSource } from './openSource.js';
import { RowFileMarginalSource } from './RowFileMarginalSource.js';
import { loadOnce, trainingRowsOf } from './trainingRows.js';
import { startTestPostgres, type TestPostgres } from '../../test/support/testPostgres.js';

const schema: Schema = parseSchema({
  version: 1,
  columns: [
    { name: 'age', type: 'integer', edges: [0, 20, 40, 60, 100], outOfDomain: 'clamp' },
    { name: 'race', type: 'categorical', categories: ['A', 'B', 'C'], missing: 'bin' },
    { name: 'weight', type: 'numeric', edges: [0, 50, 100, 200], missing: 'bin' },
    { name: 'visits', type: 'integer', min: 1, max: 5 },
  ],
});
const encoding = TabularEncoding.fromSchema(schema);
const domain = Domain.fromJson(schemaDomain(schema));
const ROWS = 300;
/** Data line (1-based, after the header) of the planted invalid row, and its file line. */
const BAD_ROW = 77;

/** Rows with clamped ages (130 -> 100), missing weights (bin), fractional weights; row BAD_ROW has race "Martian". */
function records(bad: boolean): string[][] {
  const out: string[][] = [['age', 'race', 'weight', 'visits']];
  for (let i = 1; i <= ROWS; i++) {
    const age = i % 41 === 0 ? '130' : String((i * 7) % 100);
    const race = bad && i === BAD_ROW ? 'Martian' : i % 23 === 0 ? '' : 'ABC'[i % 3]!;
    const weight = i % 19 === 0 ? '' : ((i * 37.25) % 200).toFixed(2);
    out.push([age, race, weight, String(1 + (i % 5))]);
  }
  return out;
}

function csvText(recs: readonly string[][]): string {
  return recs.map((r) => r.join(',')).join('\n') + '\n';
}

/** The rows as the reference encoder reads them (shared/neural/tabularRowsFromRecords), invalid rows dropped. */
function reference(recs: readonly string[][]): TabularRows {
  return tabularRowsFromRecords(schema, encoding, recs).rows;
}

function expectSameRows(got: TabularRows, want: TabularRows): void {
  expect(got.rows).toBe(want.rows);
  got.codes.forEach((c, j) => expect(Array.from(c), `codes of ${schema.columns[j]!.name}`).toEqual(Array.from(want.codes[j]!)));
  got.values.forEach((v, j) => {
    expect(v === null, `values of ${schema.columns[j]!.name}`).toBe(want.values[j] === null);
    if (v !== null) expect(Array.from(v).map((x) => (Number.isNaN(x) ? 'NaN' : x))).toEqual(Array.from(want.values[j]!).map((x) => (Number.isNaN(x) ? 'NaN' : x)));
  });
}

let dir: string;
let cleanCsv: string;
let badCsv: string;
let parquet: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fedsynth-trainrows-'));
  cleanCsv = join(dir, 'clean.csv');
  badCsv = join(dir, 'bad.csv');
  parquet = join(dir, 'clean.parquet');
  writeFileSync(cleanCsv, csvText(records(false)));
  writeFileSync(badCsv, csvText(records(true)));
  // Native types: integers, doubles (NULL where the CSV cell is empty), text.
  await withInMemoryDuckDb(async (conn) => {
    await conn.run(
      `COPY (SELECT CAST(age AS INTEGER) AS age, race, TRY_CAST(weight AS DOUBLE) AS weight, CAST(visits AS BIGINT) AS visits FROM read_csv('${cleanCsv}', header=true, all_varchar=true)) TO '${parquet}' (FORMAT parquet)`,
    );
  }, 1);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('training rows of file sources', () => {
  it('CSV: every validated row, codes and continuous values (clamped) as the reference encoder gives them', async () => {
    const src = await openSource({ kind: 'csv', path: cleanCsv }, schema, { threads: 1 });
    try {
      const rows = await src.tabularRows();
      expectSameRows(rows, reference(records(false)));
      // Planted faults in the comparison itself: a value nudged, a code changed.
      const nudged = { ...rows, values: rows.values.map((v) => v && v.slice()) };
      nudged.values[2]![5]! += 0.01;
      expect(() => expectSameRows(nudged, reference(records(false)))).toThrow();
      // The clamped age (130 in row 41) is 100, the top edge; a missing weight (row 19) is NaN.
      expect([rows.values[0]![40], rows.codes[0]![40]]).toEqual([100, 3]);
      expect(rows.values[2]![18]).toBeNaN();
      expect(rows.values[1]).toBeNull();
    } finally {
      await src.close();
    }
  });

  it('Parquet with native numeric columns: the same rows', async () => {
    const src = await openSource({ kind: 'parquet', path: parquet }, schema, { threads: 1 });
    try {
      expectSameRows(await src.tabularRows(), reference(records(false)));
    } finally {
      await src.close();
    }
  });

  it('the row policy applies as for the counts: drop-row skips the invalid row, fail refuses naming file, line and column', async () => {
    const dropped = await openSource({ kind: 'csv', path: badCsv }, schema, { onInvalid: 'drop-row', threads: 1 });
    try {
      const rows = await dropped.tabularRows();
      expect(rows.rows).toBe(ROWS - 1);
      expect(rows.rows).toBe(await dropped.rowCount());
      expectSameRows(rows, reference(records(true)));
    } finally {
      await dropped.close();
    }
    const strict = await openSource({ kind: 'csv', path: badCsv }, schema, { onInvalid: 'fail', threads: 1 });
    try {
      const err = await strict.tabularRows().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isFedsynthError(err) && err.code).toBe(ErrorCode.InvalidData);
      const details = (err as { details: { problems: { file?: string; line?: number; column?: string; value?: string }[] } }).details;
      expect(details.problems[0]).toMatchObject({ file: badCsv, line: BAD_ROW + 1, column: 'race', value: 'Martian' });
    } finally {
      await strict.close();
    }
  });

  it('with a control sample: gradient rounds train on exactly the counted rows (the control rows excluded), read from the row file', async () => {
    const src = await openSource({ kind: 'csv', path: cleanCsv }, schema, { threads: 1 });
    try {
      const held = await holdOutControl(src, await src.rowCount(), domain, 60, 'seed-1', join(dir, 'rows-1'));
      const training = await held.trainingRows.tabularRows();
      const isControl = new Uint8Array(ROWS);
      for (const i of controlRowIndices(reference(records(false)), 60, 'seed-1')) isControl[i] = 1;
      const kept = Array.from({ length: ROWS }, (_, i) => i).filter((i) => isControl[i] === 0);
      expectSameRows(training, selectTabularRows(reference(records(false)), kept));
      // The counts, the local evaluation and the gradient rounds read the same rows: the training row file,
      // counted block by block (never the table in memory).
      expect(held.source).toBeInstanceOf(RowFileMarginalSource);
      const sets = [['age'], ['race', 'visits'], ['age', 'weight', 'visits']];
      expect(await held.source.marginals(sets)).toEqual(await new InMemoryMarginalSource(new EncodedTable(domain, training.codes)).marginals(sets));
      expect((await held.localRows.codeColumns()).map((c) => Array.from(c))).toEqual(training.codes.map((c) => Array.from(c)));
      const control = await held.localRows.controlColumns!();
      expect(control.map((c) => Array.from(c))).toEqual(selectTabularRows(reference(records(false)), Array.from(controlRowIndices(reference(records(false)), 60, 'seed-1'))).codes.map((c) => Array.from(c)));
      held.remove();
      // Planted: the split under another seed trains on other rows, and the comparison sees it.
      const other = await (await holdOutControl(src, await src.rowCount(), domain, 60, 'seed-2', join(dir, 'rows-2'))).trainingRows.tabularRows();
      expect(() => expectSameRows(other, selectTabularRows(reference(records(false)), kept))).toThrow();
    } finally {
      await src.close();
    }
  });
});

describe('trainingRowsOf', () => {
  it('lays the rows out for the study: values of continuous columns, none for categorical ones; an encoding on codes gets none', async () => {
    const rows = reference(records(false));
    const source = new InMemoryMarginalSource(new EncodedTable(domain, rows.codes));
    const t = await trainingRowsOf(source, { tabularRows: async () => rows }, encoding);
    expect(t.values[2]).toBe(rows.values[2]);
    const codesOnly = await trainingRowsOf(source, { tabularRows: async () => rows }, TabularEncoding.fromDomain(domain));
    expect(codesOnly.values.every((v) => v === null)).toBe(true);
    // An in-memory source without a row source: codes, NaN values (bin centres).
    const mem = await trainingRowsOf(source, undefined, encoding);
    expect(mem.rows).toBe(ROWS);
    expect(Array.from(mem.values[0]!).every(Number.isNaN)).toBe(true);
  });

  it('a source that cannot hand rows is refused with SOURCE_UNAVAILABLE', async () => {
    const source = new CachingMarginalSource(new InMemoryMarginalSource(new EncodedTable(domain, reference(records(false)).codes)));
    await expect(trainingRowsOf(source, undefined, encoding)).rejects.toMatchObject({ code: ErrorCode.SourceUnavailable });
  });

  it('loadOnce reads the source once, and again after a failed read', async () => {
    let calls = 0;
    const rows = reference(records(false));
    const once = loadOnce(async () => {
      calls++;
      if (calls === 1) throw new Error('database unreachable');
      return rows;
    });
    await expect(once.tabularRows()).rejects.toThrow(/unreachable/);
    expect(await once.tabularRows()).toBe(rows);
    expect(await once.tabularRows()).toBe(rows);
    expect(calls).toBe(2);
  });
});

describe('training rows of PostgreSQL', () => {
  let pgdb: TestPostgres | undefined;
  let unavailable = '';
  beforeAll(async () => {
    const started = await startTestPostgres();
    if ('unavailable' in started) {
      unavailable = started.unavailable;
      return;
    }
    pgdb = started;
    const admin = new pg.Client({ connectionString: pgdb.admin });
    await admin.connect();
    try {
      await admin.query('CREATE TABLE native (age integer, race text, weight double precision, visits bigint)');
      await admin.query('CREATE TABLE textual (age text, race text, weight text, visits text)');
      for (const r of records(false).slice(1)) {
        await admin.query('INSERT INTO native VALUES ($1, $2, $3, $4)', [Number(r[0]), r[1] === '' ? null : r[1], r[2] === '' ? null : Number(r[2]), Number(r[3])]);
        await admin.query('INSERT INTO textual VALUES ($1, $2, $3, $4)', r);
      }
    } finally {
      await admin.end();
    }
  }, 120_000);
  afterAll(async () => {
    await pgdb?.cleanup();
  });

  it('native and text columns, streamed through a cursor: the same rows as the reference encoder', async (ctx) => {
    if (!pgdb) return ctx.skip(unavailable);
    for (const table of ['native', 'textual']) {
      const src = await openSource({ kind: 'postgres', connectionString: pgdb.readOnly, table }, schema);
      try {
        expectSameRows(await src.tabularRows(), reference(records(false)));
        // The connection still answers counts after the scan (its transaction was closed).
        expect(await src.rowCount()).toBe(ROWS);
        const [age] = await src.marginals([['age']]);
        expect(Array.from(age!).reduce((a, b) => a + b, 0)).toBe(ROWS);
      } finally {
        await src.close();
      }
    }
  });
});
