// ConsortiumSchema: the public, shared description of the table every party holds (zod-validated).
// Column types, public bins and categories, and how missing or out-of-domain values map to codes.
import { z } from 'zod';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** What happens to a missing cell (SQL NULL, or a trimmed value in `missingTokens`). */
export const MissingPolicy = z.enum(['bin', 'other', 'invalid']);
/** What happens to a well-typed value outside the domain (unknown category, outside the edges). */
export const OutOfDomainPolicy = z.enum(['other', 'missing', 'clamp', 'invalid']);

const common = {
  name: z.string().min(1),
  /** Default: `invalid` (the row is a validation problem, handled by the source's `onInvalid`). */
  missing: MissingPolicy.default('invalid'),
  /** Default: `invalid`. `clamp` is only meaningful for ordered types (numeric, integer, date). */
  outOfDomain: OutOfDomainPolicy.default('invalid'),
  /** Trimmed cell values that mean "missing" besides SQL NULL. Default: the empty string. */
  missingTokens: z.array(z.string()).default(['']),
  /** Label written by the decoder for the "other" bin. */
  otherLabel: z.string().default('other'),
};

const edges = z
  .array(z.number().refine(Number.isFinite, 'edges must be finite numbers'))
  .min(2, 'at least two edges (one bin)')
  .refine((e) => e.every((v, i) => i === 0 || v > e[i - 1]!), 'edges must be strictly increasing');

export const CategoricalColumn = z.object({
  ...common,
  type: z.literal('categorical'),
  categories: z
    .array(z.string())
    .min(1)
    .refine((c) => new Set(c).size === c.length, 'categories must be distinct'),
});

export const NumericColumn = z.object({
  ...common,
  type: z.literal('numeric'),
  /** Public bin edges e0 < e1 < ... < em: bins [e_i, e_{i+1}), the last one closed [e_{m-1}, e_m]. */
  edges,
  /** Decimals kept when decoding uniformly within a bin (default: 6). */
  decimals: z.number().int().min(0).max(15).default(6),
});

export const IntegerColumn = z
  .object({
    ...common,
    type: z.literal('integer'),
    /** Either a small range (one code per integer min..max) ... */
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    /** ... or public integer bin edges, as for numeric columns. */
    edges: edges.refine((e) => e.every(Number.isInteger), 'integer edges must be integers').optional(),
  })
  .superRefine((c, ctx) => {
    const range = c.min !== undefined && c.max !== undefined;
    if (range === (c.edges !== undefined) || (c.min !== undefined) !== (c.max !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'an integer column needs either min and max, or edges', path: ['edges'] });
    } else if (range && c.max! < c.min!) {
      ctx.addIssue({ code: 'custom', message: 'max must be >= min', path: ['max'] });
    } else if (range && c.max! - c.min! + 1 > 10_000) {
      ctx.addIssue({ code: 'custom', message: 'range too large (> 10000 codes): use edges', path: ['max'] });
    }
  });

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date YYYY-MM-DD');

export const DateColumn = z
  .object({
    ...common,
    type: z.literal('date'),
    granularity: z.enum(['year', 'month', 'day']),
    /** First and last date of the public range (inclusive). */
    min: isoDate,
    max: isoDate,
  })
  .refine((c) => c.min <= c.max, { message: 'max must not be before min', path: ['max'] });

export const ColumnSpec = z.discriminatedUnion('type', [CategoricalColumn, NumericColumn, IntegerColumn, DateColumn]);

export const ConsortiumSchemaZ = z
  .object({
    version: z.literal(1),
    /** How numeric/integer/date codes are decoded: a uniform value within the bin, or its label. */
    decode: z.enum(['uniform', 'label']).default('uniform'),
    columns: z.array(ColumnSpec).min(1),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.columns.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `duplicate column name "${c.name}"`, path: ['columns', i, 'name'] });
      seen.add(c.name);
      if (c.type === 'categorical' && c.outOfDomain === 'clamp') {
        ctx.addIssue({ code: 'custom', message: 'clamp is not defined for categorical columns', path: ['columns', i, 'outOfDomain'] });
      }
    });
  });

export type Schema = z.output<typeof ConsortiumSchemaZ>;
export type SchemaInput = z.input<typeof ConsortiumSchemaZ>;
export type Column = z.output<typeof ColumnSpec>;

/** Formats zod issues as `path: message` lines, e.g. `columns.3.edges: edges must be ...`. */
export function formatIssues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** Parses and checks a schema object (from JSON or YAML); throws InvalidSchema naming the field path. */
export function parseSchema(input: unknown): Schema {
  const r = ConsortiumSchemaZ.safeParse(input);
  if (!r.success) {
    throw new FedsynthError(ErrorCode.InvalidSchema, `invalid consortium schema: ${formatIssues(r.error)}`, {
      issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return r.data;
}
