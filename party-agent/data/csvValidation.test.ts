// Tests: bad CSV input becomes a typed error or a validation report naming file, line, column and
// value; `onInvalid` policies drop or map rows with counts; nothing is released on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { isFedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import type { OnInvalid } from '../../shared/schema/ValidationReport.js';
import { openSource } from './openSource.js';

const schema = parseSchema({
  version: 1,
  columns: [
    { name: 'color', type: 'categorical', categories: ['red', 'green'], missing: 'bin' },
    { name: 'size', type: 'numeric', edges: [0, 10, 100] },
    { name: 'n', type: 'integer', min: 0, max: 3, missing: 'bin' },
  ],
});

let dir: string;
let k = 0;
function file(content: string | Buffer): string {
  const p = join(dir, `f${k++}.csv`);
  writeFileSync(p, content);
  return p;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fedsynth-csv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function open(content: string | Buffer, onInvalid: OnInvalid = 'fail', extra: Record<string, unknown> = {}) {
  return openSource({ kind: 'csv', path: file(content), ...extra }, schema, { onInvalid });
}

async function error(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (!isFedsynthError(e)) throw e;
    return { code: e.code, message: e.message, details: { ...e.details } };
  }
  throw new Error('expected a FedsynthError');
}

describe('CSV source: structure', () => {
  it('good file: counts, missing bin, surrounding spaces trimmed', async () => {
    const src = await open('color,size,n\nred,1,0\n green ,50.5,\n,100,3\n');
    expect((await src.validate()).ok).toBe(true);
    const [c, s, cn] = await src.marginals([['color'], ['size'], ['color', 'n']]);
    expect(Array.from(c!)).toEqual([1, 1, 1]);
    expect(Array.from(s!)).toEqual([1, 2]);
    // color (3 codes) x n (5 codes: 0..3, missing)
    expect(cn![0 * 5 + 0]).toBe(1);
    expect(cn![1 * 5 + 4]).toBe(1);
    expect(cn![2 * 5 + 3]).toBe(1);
    await src.close();
  });

  it('empty file, header only, missing column, extra column, wrong delimiter, missing file', async () => {
    expect((await error(open(''))).message).toMatch(/empty/);
    const h = await open('color,size,n\n');
    expect(await error(h.validate())).toMatchObject({ code: ErrorCode.InvalidData, message: expect.stringMatching(/no data rows/) });
    await h.close();
    expect(await error(open('color,size\nred,1\n'))).toMatchObject({ code: ErrorCode.InvalidData, details: { line: 1, column: 'n' } });
    expect(await error(open('color,size,n,zip\nred,1,0,x\n'))).toMatchObject({ details: { column: 'zip' } });
    const ok = await open('color,size,n,zip\nred,1,0,x\n', 'fail', { ignoreExtraColumns: true });
    expect(await ok.rowCount()).toBe(1);
    await ok.close();
    expect((await error(open('color;size;n\nred;1;0\n'))).message).toMatch(/delimiter/);
    const semi = await open('color;size;n\nred;1;0\n', 'fail', { delimiter: ';' });
    expect(await semi.rowCount()).toBe(1);
    await semi.close();
    expect((await error(openSource({ kind: 'csv', path: join(dir, 'nope.csv') }, schema))).code).toBe(ErrorCode.NotFound);
  });

  it('BOM and CRLF line endings are accepted', async () => {
    const src = await open(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('color,size,n\r\nred,1,0\r\ngreen,2,1\r\n')]));
    expect(await src.rowCount()).toBe(2);
    expect(Array.from((await src.marginals([['color']]))[0]!)).toEqual([1, 1, 0]);
    await src.close();
  });

  it('quoted newlines: the problem is reported at the file line where its record starts', async () => {
    // lines: 1 header, 2-3 one record, 4 ok, 5-6 record with a bad size on line 5
    const src = await open('color,size,n\n"red",1,"0"\n\n"green",2,1\n"red","x\ny",1\n');
    const r = await src.validate();
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ line: 5, column: 'size', value: 'x\ny', reason: 'wrong-type' });
    await src.close();
    // and a quoted newline inside a valid row is read as one record
    const good = await open('color,size,n\n"red",1,0\n"gre\nen",2,1\n', 'map-to-missing');
    const rep = await good.validate();
    expect(rep.rowsUsed).toBe(2);
    expect(rep.problems[0]).toMatchObject({ line: 3, column: 'color', value: 'gre\nen', reason: 'out-of-domain' });
    await good.close();
  });

  it('malformed lines (too many / too few fields): line numbers, run stops; drop-row drops them', async () => {
    const text = 'color,size,n\nred,1,0\nred,1,0,9\ngreen,2,1\ngreen\n';
    const src = await open(text);
    const r = await src.validate();
    expect(r.ok).toBe(false);
    expect(r.malformedLines).toBe(2);
    expect(r.problems.map((p) => [p.line, p.reason])).toEqual([
      [3, 'malformed-line'],
      [5, 'malformed-line'],
    ]);
    const e = await error(src.marginals([['color']]));
    expect(e.code).toBe(ErrorCode.InvalidData);
    expect(e.message).toContain('line 3: malformed CSV line');
    await src.close();
    const dropped = await open(text, 'drop-row');
    const rd = await dropped.validate();
    expect([rd.ok, rd.rowsUsed, rd.rowsDropped]).toEqual([true, 2, 2]);
    expect(Array.from((await dropped.marginals([['color']]))[0]!)).toEqual([1, 1, 0]);
    await dropped.close();
  });

  it('an unterminated quote fails the file under every policy, naming file, line and column; the policies count alike', async () => {
    // 2,000 data rows; line 151 opens a quote that is never closed (first file) or only closed by
    // a later quoted field (second file). Before: drop-row read "150 records, 147 used", ok.
    const rows = Array.from({ length: 2000 }, (_, i) => `${i % 2 ? 'red' : 'green'},${i % 50},${i % 4}`);
    const never = [...rows];
    never[149] = '"red,1,0';
    const closedLater = [...rows];
    closedLater[149] = 'red,"1,0';
    closedLater[999] = '"green",2,1';
    for (const [lines, column] of [
      [never, 'color'],
      [closedLater, 'size'],
    ] as const) {
      const text = `color,size,n\n${lines.join('\n')}\n`;
      const path = file(text);
      const reports = [];
      for (const onInvalid of ['fail', 'drop-row', 'map-to-missing'] as const) {
        const src = await openSource({ kind: 'csv', path }, schema, { onInvalid });
        const r = await src.validate();
        expect(r.ok, onInvalid).toBe(false);
        expect(r.problems[0], onInvalid).toMatchObject({ reason: 'malformed-file', file: path, line: 151, column });
        expect(r.problems[0]!.message).toMatch(/unterminated quote: the quoted field opened at line 151, character \d+ \(column "(color|size)"\)/);
        const e = await error(src.marginals([['color']]));
        expect(e.code).toBe(ErrorCode.InvalidData);
        expect(e.message).toContain(`${path}, line 151`);
        await src.close();
        reports.push([r.recordsRead, r.rowsUsed, r.rowsDropped, r.malformedLines]);
      }
      expect(reports[1]).toEqual(reports[0]);
      expect(reports[2]).toEqual(reports[0]);
    }
  });

  it('non-UTF-8 bytes are located and never counted', async () => {
    const bytes = Buffer.concat([Buffer.from('color,size,n\nred,1,0\n'), Buffer.from([0x72, 0xff, 0x64]), Buffer.from(',2,1\n')]);
    const src = await open(bytes);
    const r = await src.validate();
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ line: 3, reason: 'invalid-utf8' });
    await src.close();
    const d = await open(bytes, 'drop-row');
    expect(await d.rowCount()).toBe(1);
    await d.close();
  });
});

describe('CSV source: values and onInvalid', () => {
  const bad = 'color,size,n\nred,1,0\nblue,2,1\ngreen,NaN,2\ngreen,Infinity,2\ngreen,1e400,2\nred,5,7\nred,,1\ngreen,3,2\n';

  it('fail: every kind of bad value is named with line, column, value; nothing released', async () => {
    const src = await open(bad);
    const r = await src.validate();
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => [p.line, p.column, p.value, p.reason])).toEqual([
      [3, 'color', 'blue', 'out-of-domain'],
      [4, 'size', 'NaN', 'wrong-type'],
      [5, 'size', 'Infinity', 'wrong-type'],
      [6, 'size', '1e400', 'out-of-domain'],
      [7, 'n', '7', 'out-of-domain'],
      [8, 'size', null, 'missing'],
    ]);
    expect(r.invalidByColumn).toEqual({
      color: { missing: 0, outOfDomain: 1, wrongType: 0 },
      size: { missing: 1, outOfDomain: 1, wrongType: 2 },
      n: { missing: 0, outOfDomain: 1, wrongType: 0 },
    });
    await expect(src.marginals([['color']])).rejects.toMatchObject({ code: ErrorCode.InvalidData });
    await expect(src.rowCount()).rejects.toMatchObject({ code: ErrorCode.InvalidData });
    await src.close();
  });

  it('drop-row keeps only clean rows, with counts', async () => {
    const src = await open(bad, 'drop-row');
    const r = await src.validate();
    expect([r.ok, r.recordsRead, r.rowsUsed, r.rowsDropped]).toEqual([true, 8, 2, 6]);
    expect(Array.from((await src.marginals([['color']]))[0]!)).toEqual([1, 1, 0]);
    await src.close();
  });

  it('map-to-missing needs a missing bin in every affected column', async () => {
    const src = await open(bad, 'map-to-missing');
    const r = await src.validate();
    expect(r.ok).toBe(false);
    expect(r.problems[0]!.message).toMatch(/size/);
    await src.close();
    const ok = await open('color,size,n\nred,1,0\nblue,2,9\n', 'map-to-missing');
    const ro = await ok.validate();
    expect([ro.ok, ro.cellsMappedToMissing, ro.rowsUsed]).toEqual([true, 2, 2]);
    const [c, n] = await ok.marginals([['color'], ['n']]);
    expect(Array.from(c!)).toEqual([1, 0, 1]);
    expect(Array.from(n!)).toEqual([1, 0, 0, 0, 1]);
    await ok.close();
  });

  it('rejects attribute sets out of schema order or unknown', async () => {
    const src = await open('color,size,n\nred,1,0\n');
    await expect(src.marginals([['n', 'color']])).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(src.marginals([['zip']])).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await src.close();
  });
});
