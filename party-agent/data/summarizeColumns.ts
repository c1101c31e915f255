// summarizeColumns: per-column facts (types that parse, ranges, frequent values) of a CSV or
// Parquet file, computed by DuckDB, for `fedsynth schema infer` (shared/schema/inferSchema.ts).
import { access } from 'node:fs/promises';
import { openInMemoryDuckDb } from '../../platform/duckdb/inMemoryDuckDb.js';
import type { ColumnSummary } from '../../shared/schema/inferSchema.js';
import { INTEGER_PATTERN, NUMBER_PATTERN } from '../../shared/schema/encodeValue.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { sqlIdent, sqlString } from './sqlEncoding.js';

const DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?$';

/** Summaries of every column of `path` (`.parquet` by extension, else CSV with a header). */
export async function summarizeColumns(path: string, maxDistinct = 200): Promise<ColumnSummary[]> {
  try {
    await access(path);
  } catch {
    throw new FedsynthError(ErrorCode.NotFound, `data file not found: ${path}`, { file: path });
  }
  const src = /\.parquet$/i.test(path) ? `read_parquet(${sqlString(path)})` : `read_csv(${sqlString(path)}, header=true, all_varchar=true)`;
  const { conn, close } = await openInMemoryDuckDb();
  try {
    const names = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`)).getRows().map((r) => String(r[0]));
    const out: ColumnSummary[] = [];
    for (const name of names) {
      const t = `trim(CAST(${sqlIdent(name)} AS VARCHAR))`;
      const base = `(SELECT CASE WHEN ${t} = '' THEN NULL ELSE ${t} END AS t FROM ${src}) s`;
      const re = (p: string): string => `regexp_full_match(t, ${sqlString(p)})`;
      const [row] = (
        await conn.runAndReadAll(
          `SELECT count(*), count(*) FILTER (WHERE t IS NULL), count(DISTINCT t), count(*) FILTER (WHERE ${re(INTEGER_PATTERN)}),
             count(*) FILTER (WHERE ${re(NUMBER_PATTERN)}), count(*) FILTER (WHERE ${re(DATE_PATTERN)}),
             min(TRY_CAST(t AS DOUBLE)) FILTER (WHERE ${re(NUMBER_PATTERN)}), max(TRY_CAST(t AS DOUBLE)) FILTER (WHERE ${re(NUMBER_PATTERN)}),
             min(t) FILTER (WHERE ${re(DATE_PATTERN)}), max(t) FILTER (WHERE ${re(DATE_PATTERN)}) FROM ${base}`,
        )
      ).getRows() as unknown[][];
      const v = row!;
      const distinctCount = Number(v[2]);
      const top = (
        await conn.runAndReadAll(`SELECT t, count(*) AS c FROM ${base} WHERE t IS NOT NULL GROUP BY t ORDER BY c DESC, t LIMIT ${maxDistinct + 1}`)
      ).getRows();
      const s: ColumnSummary = {
        name,
        rows: Number(v[0]),
        missing: Number(v[1]),
        distinct: top.slice(0, maxDistinct).map((r) => ({ value: String(r[0]), count: Number(r[1]) })),
        distinctCount,
        integers: Number(v[3]),
        numbers: Number(v[4]),
        dates: Number(v[5]),
        ...(v[6] !== null ? { min: Number(v[6]), max: Number(v[7]) } : {}),
        ...(v[8] !== null ? { minDate: String(v[8]), maxDate: String(v[9]) } : {}),
      };
      out.push(s);
    }
    return out;
  } catch (e) {
    if (e instanceof FedsynthError) throw e;
    throw new FedsynthError(ErrorCode.InvalidData, `${path}: could not read: ${(e as Error).message.split('\n')[0]}`, { file: path });
  } finally {
    close();
  }
}

/** The histogram of a column's numeric values (ascending), for DP quantile edges; never released. */
export async function valueHistogram(path: string, column: string): Promise<{ value: number; count: number }[]> {
  const src = /\.parquet$/i.test(path) ? `read_parquet(${sqlString(path)})` : `read_csv(${sqlString(path)}, header=true, all_varchar=true)`;
  const { conn, close } = await openInMemoryDuckDb();
  try {
    const t = `trim(CAST(${sqlIdent(column)} AS VARCHAR))`;
    const rows = (
      await conn.runAndReadAll(
        `SELECT CAST(${t} AS DOUBLE) AS v, count(*) FROM ${src} WHERE regexp_full_match(${t}, ${sqlString(NUMBER_PATTERN)}) GROUP BY v ORDER BY v`,
      )
    ).getRows();
    return rows.map((r) => ({ value: Number(r[0]), count: Number(r[1]) })).filter((h) => Number.isFinite(h.value));
  } finally {
    close();
  }
}
