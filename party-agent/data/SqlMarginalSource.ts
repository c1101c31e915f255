// SqlMarginalSource: a MarginalSource over any SQL engine (DuckDB, PostgreSQL) that encodes and
// counts inside the engine, validates the data against the schema first, and applies `onInvalid`.
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import { columnLayout } from '../../shared/schema/columnLayout.js';
import { InvalidCode } from '../../shared/schema/encodeValue.js';
import {
  formatProblem,
  type ColumnProblemCounts,
  type OnInvalid,
  type ValidationProblem,
  type ValidationReport,
} from '../../shared/schema/ValidationReport.js';
import { allocColumn, type CodeColumn } from '../../shared/data/EncodedTable.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { TabularEncoding, type TabularRows } from '../../shared/neural/TabularEncoding.js';
import type { Dialect } from './sqlEncoding.js';
import {
  allocateCounts,
  chunkSets,
  codeAlias,
  encodedSelect,
  fillCounts,
  groupingSetsSql,
  planMarginals,
  type RawColumn,
} from './marginalQuery.js';

/** What a concrete engine supplies. */
export interface SqlEngine {
  readonly dialect: Dialect;
  /** Names the source in reports (a path, or `postgres:<table>`), never a secret. */
  readonly label: string;
  /** The raw relation in a FROM clause, e.g. `read_csv(...)` or `(SELECT ...) src`. */
  readonly from: string;
  /** How each schema column is read, in schema order. */
  readonly raw: readonly RawColumn[];
  /** Runs a query; rows as arrays of values (numbers, bigints, strings or null). */
  query(sql: string): Promise<unknown[][]>;
  /** Runs a query and hands its rows over in batches, never holding the whole result (row-level reads). */
  scan(sql: string, onBatch: (rows: readonly unknown[][]) => void): Promise<void>;
  /** Number of records the reader could not parse (CSV), 0 elsewhere. */
  malformedRecords(): Promise<number>;
  /** Locates up to `max` problems (file line, column, value) for the operator. */
  locateProblems(max: number): Promise<ValidationProblem[]>;
  close(): Promise<void>;
}

export interface SqlSourceOptions {
  readonly onInvalid: OnInvalid;
  /** Located problems kept in the report (default 20). */
  readonly maxExamples?: number;
  /** Estimated result rows per GROUPING SETS statement (default MAX_RESULT_ROWS; see chunkSets). */
  readonly maxResultRows?: number;
}

export class SqlMarginalSource implements MarginalSource {
  private report: ValidationReport | undefined;
  private readonly sizes: readonly number[];

  constructor(
    private readonly engine: SqlEngine,
    private readonly schema: Schema,
    private readonly opts: SqlSourceOptions,
  ) {
    this.sizes = schema.columns.map((c) => columnLayout(c).size);
  }

  /** Checks every row against the schema (one scan) and locates the first problems. */
  async validate(): Promise<ValidationReport> {
    if (this.report) return this.report;
    const { schema, engine } = this;
    const policy = this.opts.onInvalid;
    const n = schema.columns.length;
    const all = schema.columns.map((_, i) => i);
    // OFFSET 0 keeps PostgreSQL from inlining the subquery (and re-evaluating each encoder per use).
    const fence = engine.dialect === 'postgres' ? ' OFFSET 0' : '';
    const enc = `(${encodedSelect(schema, engine.raw, engine.from, engine.dialect, all, 'fail')}${fence})`;
    // Cheap pass first: the row count and each column's smallest code (negative = a problem).
    const [first] = await engine.query(`SELECT count(*), ${all.map((i) => `min(${codeAlias(i)})`).join(', ')} FROM ${enc} e`);
    const mins = (first ?? []).slice(1).map((x) => Number(x ?? 0));
    const rows = Number(first?.[0] ?? 0);
    let v: number[] = [rows, 0, ...new Array<number>(3 * n).fill(0)];
    if (mins.some((m) => m < 0)) {
      const parts = ['count(*)', `count(*) FILTER (WHERE ${all.map((i) => `${codeAlias(i)} < 0`).join(' OR ')})`];
      for (let i = 0; i < n; i++) {
        for (const code of [InvalidCode.missing, InvalidCode['out-of-domain'], InvalidCode['wrong-type']]) {
          parts.push(`count(*) FILTER (WHERE ${codeAlias(i)} = ${code})`);
        }
      }
      const [row] = await engine.query(`SELECT ${parts.join(', ')} FROM ${enc} e`);
      v = (row ?? []).map((x) => Number(x ?? 0));
    }
    const badRows = v[1]!;
    const malformed = await engine.malformedRecords();
    const invalidByColumn: Record<string, ColumnProblemCounts> = {};
    let invalidCells = 0;
    const unmappable: string[] = [];
    schema.columns.forEach((c, i) => {
      const [missing, outOfDomain, wrongType] = [v[2 + 3 * i]!, v[3 + 3 * i]!, v[4 + 3 * i]!];
      if (missing + outOfDomain + wrongType > 0) {
        invalidByColumn[c.name] = { missing, outOfDomain, wrongType };
        invalidCells += missing + outOfDomain + wrongType;
        if (columnLayout(c).missing === undefined) unmappable.push(c.name);
      }
    });
    if (rows + malformed === 0) {
      throw new FedsynthError(ErrorCode.InvalidData, `${engine.label}: no data rows`, { source: engine.label });
    }
    const clean = badRows === 0 && malformed === 0;
    let ok: boolean;
    let rowsUsed = rows;
    let rowsDropped = malformed;
    let mapped = 0;
    const problems: ValidationProblem[] = clean ? [] : await engine.locateProblems(this.opts.maxExamples ?? 20);
    // A structural break (CSV: an unterminated quote) misreads every later line: no row policy can
    // recover the rows it swallowed, so it fails the data whatever the policy (issue 20 item 5).
    const broken = problems.some((p) => p.reason === 'malformed-file');
    if (broken) ok = false;
    else if (policy === 'fail') ok = clean;
    else if (policy === 'drop-row') {
      ok = rows - badRows > 0;
      rowsUsed = rows - badRows;
      rowsDropped += badRows;
    } else {
      ok = unmappable.length === 0;
      mapped = invalidCells;
      if (!ok) {
        problems.unshift({
          reason: 'missing',
          message: `map-to-missing needs a missing bin ("missing": "bin") in column(s) ${unmappable.join(', ')}`,
        });
      }
    }
    this.report = {
      source: engine.label,
      policy,
      recordsRead: rows + malformed,
      rowsUsed,
      rowsDropped,
      cellsMappedToMissing: mapped,
      malformedLines: malformed,
      invalidByColumn,
      problems,
      ok,
    };
    return this.report;
  }

  /** Throws InvalidData (with the located problems) unless the data passed validation. */
  private async ensureValid(): Promise<ValidationReport> {
    const r = await this.validate();
    if (!r.ok) {
      const first = r.problems.slice(0, 5).map(formatProblem).join('\n  ');
      throw new FedsynthError(ErrorCode.InvalidData, `${r.source}: data does not match the schema (onInvalid=${r.policy}):\n  ${first}`, {
        source: r.source,
        problems: r.problems,
        invalidByColumn: r.invalidByColumn,
        malformedLines: r.malformedLines,
      });
    }
    return r;
  }

  async rowCount(): Promise<number> {
    return (await this.ensureValid()).rowsUsed;
  }

  async marginals(attrSets: readonly (readonly string[])[]): Promise<Float64Array[]> {
    const { rowsUsed } = await this.ensureValid();
    const { schema, engine } = this;
    const plan = planMarginals(schema, attrSets);
    const counts = allocateCounts(schema, plan.sets);
    for (const chunk of chunkSets(plan.sets, this.sizes, rowsUsed, this.opts.maxResultRows)) {
      const sets = chunk.map((si) => plan.sets[si]!);
      const cols = [...new Set(sets.flat())].sort((a, b) => a - b);
      const enc = encodedSelect(schema, engine.raw, engine.from, engine.dialect, cols, this.opts.onInvalid);
      const out = chunk.map((si) => counts[si]!);
      // Streamed batch by batch (integer counts: the same sums in any order): converting a statement's
      // up to MAX_RESULT_ROWS result rows at once blocked the agent's event loop for seconds (heartbeats).
      await engine.scan(groupingSetsSql(enc, sets, cols, this.sizes, engine.dialect), (rows) => fillCounts(schema, sets, cols, rows, out));
    }
    // A repeated attribute set gets its own copy, so callers may scale or noise arrays in place.
    const handed = new Set<number>();
    return plan.requestToSet.map((si) => {
      const first = !handed.has(si);
      handed.add(si);
      return first ? counts[si]! : counts[si]!.slice();
    });
  }

  /**
   * The validated rows as code columns (schema order), at most `maxRows` (the first ones), for
   * evaluation at the party only (party-agent/evaluation/LocalEvaluation.ts); never released. Streamed
   * in batches into the columns (never the result rows all at once).
   */
  async codeColumns(maxRows = 200_000): Promise<CodeColumn[]> {
    const { rowsUsed } = await this.ensureValid();
    const all = this.schema.columns.map((_, i) => i);
    const limit = Math.max(1, Math.min(rowsUsed, Math.floor(maxRows)));
    const enc = encodedSelect(this.schema, this.engine.raw, this.engine.from, this.engine.dialect, all, this.opts.onInvalid);
    const cols = all.map((j) => allocColumn(this.sizes[j]!, limit));
    let k = 0;
    await this.engine.scan(`SELECT * FROM (${enc}) local_rows LIMIT ${limit}`, (batch) => {
      for (const r of batch) {
        if (k >= limit) return;
        for (const j of all) cols[j]![k] = Number(r[j]);
        k++;
      }
    });
    return k === limit ? cols : cols.map((c) => c.slice(0, k));
  }

  /**
   * Every validated row (the `onInvalid` policy applied, as for the counts) in one streamed scan,
   * into typed arrays: the code of every column and, for each continuous column of the schema
   * (TabularEncoding.fromSchema: numeric/integer with edges), its value clamped into the edges (NaN
   * where the code is not a bin). For the gradient path (mechanism dpsgd) and the control split, at
   * the party only; never released. The caller keeps the result (one copy of the table).
   */
  async tabularRows(): Promise<TabularRows> {
    const { rowsUsed } = await this.ensureValid();
    const n = this.schema.columns.length;
    const blocks = TabularEncoding.fromSchema(this.schema).columns;
    const codes = blocks.map(() => new Int32Array(rowsUsed));
    const values = blocks.map((b) => (b.kind === 'continuous' ? new Float64Array(rowsUsed) : null));
    let r = 0;
    await this.scanTabular((batch) => {
      for (let j = 0; j < n; j++) {
        codes[j]!.set(batch.codes[j]!, r);
        const v = batch.values[j];
        if (v) values[j]!.set(v, r);
      }
      r += batch.rows;
    });
    return { rows: rowsUsed, codes, values };
  }

  /**
   * The rows of `tabularRows`, handed over batch by batch as the engine streams them (each batch in
   * fresh arrays); holds one batch. Returns the number of rows, checked against the validation's.
   */
  async scanTabular(onBatch: (batch: TabularRows) => void): Promise<number> {
    const { rowsUsed } = await this.ensureValid();
    const { schema, engine } = this;
    const blocks = TabularEncoding.fromSchema(schema).columns;
    const n = schema.columns.length;
    const all = schema.columns.map((_, i) => i);
    const continuous = all.filter((i) => blocks[i]!.kind === 'continuous');
    const changed = (): FedsynthError =>
      new FedsynthError(ErrorCode.InvalidData, `${engine.label}: the data changed after it was validated (restart the agent to validate it again)`, { source: engine.label });
    let r = 0;
    await engine.scan(encodedSelect(schema, engine.raw, engine.from, engine.dialect, all, this.opts.onInvalid, continuous), (batch) => {
      if (r + batch.length > rowsUsed) throw changed();
      const codes = all.map(() => new Int32Array(batch.length));
      const values = blocks.map((b) => (b.kind === 'continuous' ? new Float64Array(batch.length) : null));
      batch.forEach((row, i) => {
        for (let j = 0; j < n; j++) {
          const code = Number(row[j]);
          if (!(code >= 0)) throw changed();
          codes[j]![i] = code;
        }
        continuous.forEach((j, k) => {
          const b = blocks[j] as Extract<(typeof blocks)[number], { kind: 'continuous' }>;
          const x = row[n + k] === null ? Number.NaN : Number(row[n + k]);
          const isBin = codes[j]![i]! < b.edges.length - 1;
          values[j]![i] = isBin ? Math.min(b.edges[b.edges.length - 1]!, Math.max(b.edges[0]!, x)) : Number.NaN;
        });
      });
      r += batch.length;
      onBatch({ rows: batch.length, codes, values });
    });
    if (r !== rowsUsed) throw changed();
    return r;
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
