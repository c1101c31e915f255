// Tests for Domain: canonical ordering, sizes, projection and JSON form.
import { describe, expect, it } from 'vitest';
import { Domain } from './Domain.js';

describe('Domain', () => {
  const d = Domain.fromJson({ a: 2, b: 3, c: 4 });
  it('keeps column order and sizes', () => {
    expect(d.attrs).toEqual(['a', 'b', 'c']);
    expect(d.size()).toBe(24);
    expect(d.size(['c', 'a'])).toBe(8);
    expect(d.indexOf('c')).toBe(2);
    expect(d.indexOf('z')).toBe(-1);
    expect(d.toJSON()).toEqual({ a: 2, b: 3, c: 4 });
  });
  it('canonicalises attribute lists and projects', () => {
    expect(d.canonical(['c', 'a'])).toEqual(['a', 'c']);
    expect(d.project(['c', 'a']).shape).toEqual([2, 4]);
    expect(d.invert(['b'])).toEqual(['a', 'c']);
    expect(d.isCanonical(['a', 'c'])).toBe(true);
    expect(d.isCanonical(['c', 'a'])).toBe(false);
  });
  it('rejects bad input', () => {
    expect(() => new Domain(['a', 'a'], [2, 2])).toThrow(/duplicate/);
    expect(() => new Domain(['a'], [0])).toThrow(/positive/);
    expect(() => d.canonical(['a', 'a'])).toThrow(/repeated/);
    expect(() => d.size(['z'])).toThrow(/unknown/);
  });
});
