// Unit test of bindOnce: partyId appears once per raw log line, however the agent's code below the
// bound logger binds or logs it again (issue 20 item 7).
import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { bindOnce } from './bindOnce.js';

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino<never>({ level: 'info' }, { write: (s: string) => void lines.push(s) }), lines };
}

/** Occurrences of `"key":` in one raw JSON line (JSON.parse would hide a duplicate). */
const count = (line: string, key: string) => line.split(`"${key}":`).length - 1;

describe('bindOnce', () => {
  it('writes partyId once on lines of the logger, its children and grandchildren', () => {
    const { log, lines } = capture();
    const alog = bindOnce(log, 'partyId', 'hospital-a');
    alog.info('plain');
    alog.info({ partyId: 'hospital-a' }, 'logged again');
    const round = alog.child({ studyId: 's1', partyId: 'hospital-a' });
    round.info('child bound again');
    round.child({ roundId: 'r1' }).info({ partyId: 'hospital-a' }, 'grandchild logs it again');
    expect(lines).toHaveLength(4);
    for (const l of lines) expect(count(l, 'partyId'), l).toBe(1);
    const last = JSON.parse(lines[3]!) as Record<string, unknown>;
    expect(last).toMatchObject({ partyId: 'hospital-a', studyId: 's1', roundId: 'r1', msg: 'grandchild logs it again' });
  });

  it('keeps a different value (it is news, not a repeat)', () => {
    const { log, lines } = capture();
    bindOnce(log, 'partyId', 'hospital-a').info({ partyId: 'hospital-b' }, 'other');
    expect(count(lines[0]!, 'partyId')).toBe(2);
  });
});
