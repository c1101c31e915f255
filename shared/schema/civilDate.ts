// civilDate: proleptic Gregorian date arithmetic on integers (days since 1970-01-01), no Date objects.
// Algorithm: H. Hinnant, "chrono-compatible low-level date algorithms" (days_from_civil / civil_from_days).

/** Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date [y, m, d] of a day count since 1970-01-01. */
export function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? era * 400 + yoe + 1 : era * 400 + yoe, m, d];
}

/** Number of days in month m of year y. */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Parses `YYYY-MM-DD` (ignoring a trailing time part) into [y, m, d], or undefined if not a real date. */
export function parseIsoDate(s: string): [number, number, number] | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(s);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return [y, mo, d];
}

/** Period index of a date at a granularity (years, months since year 0, or days since epoch). */
export function periodOf(granularity: 'year' | 'month' | 'day', [y, m, d]: readonly [number, number, number]): number {
  if (granularity === 'year') return y;
  if (granularity === 'month') return y * 12 + (m - 1);
  return daysFromCivil(y, m, d);
}
