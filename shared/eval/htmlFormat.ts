// htmlFormat: escaping and number formatting for the report page (n/a for missing numbers),
// and the small HTML building blocks (tables) every report section uses.

/** Escapes text for HTML element content and attribute values. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const missing = (v: number | null | undefined): v is null | undefined => v === null || v === undefined || Number.isNaN(v);

/** Fixed decimals, or n/a. */
export const fmt = (v: number | null | undefined, digits = 3): string => (missing(v) ? 'n/a' : v.toFixed(digits));

/** A share as a percentage with one decimal, or n/a. */
export const pct = (v: number | null | undefined, digits = 1): string => (missing(v) ? 'n/a' : `${(v * 100).toFixed(digits)}%`);

/** A table of escaped text cells; `rowClass` may mark rows (e.g. flagged ones). */
export function table(rows: readonly (readonly string[])[], header: readonly string[], rowClass?: (i: number) => string): string {
  const body = rows.map((r, i) => `<tr${rowClass?.(i) ? ` class="${rowClass(i)}"` : ''}>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A verdict badge (pass / review / fail). */
export const badge = (v: 'pass' | 'review' | 'fail'): string => `<span class="verdict ${v}">${v.toUpperCase()}</span>`;
