// Tests of the console's study page: the "Charges by round" table names a round that charged parties
// without a release and why, the parties table their unreleased rho, the summary the confirmed deliveries.
import { describe, expect, it } from 'vitest';
import { partiesPage, studyPage, type StudyDetail } from './consolePages.js';
import { roundAccounts } from '../../shared/study/RoundAccount.js';
import type { StudyPartyRecord } from '../store/CoordinatorStore.js';

const party = (partyId: string): StudyPartyRecord => ({ studyId: 's', partyId, decision: 'approved', reason: '', rhoCharged: 0.1, dropped: false });

describe('studyPage', () => {
  it('shows a failed round charged at two parties, their unreleased rho and k/n deliveries', () => {
    const accounts = roundAccounts(
      [{ roundIndex: 1, attempt: 1, roundId: 's/r1', label: 'select <2>', rho: 0.05, chargeKey: 's/1/x', asked: ['a', 'b', 'c'], charged: ['a', 'b'], outcome: 'failed', errorCode: 'TOO_FEW_SURVIVORS', errorMessage: '2 of 3 answered' }],
      [{ roundIndex: 0, label: 'oneway', rho: 0.1, participants: ['a', 'b', 'c'] }],
      false,
    );
    const d: StudyDetail = {
      study: { id: 's', specJson: '{}', state: 'done', seed: '', roundTimeoutMs: 0, createdMs: 0, updatedMs: 0, phase: 'done', progress: 1, rhoSpent: 0.1, errorCode: '', errorMessage: '' },
      spec: undefined,
      parties: ['a', 'b', 'c'].map(party),
      online: new Set(['a']),
      rounds: [],
      deliveries: new Map(),
      outputs: [],
      accounts,
      delivered: 2,
    };
    const html = studyPage('alice', d);
    expect(html).toContain('<td id="delivery">outputs confirmed by 2/3 approved parties</td>');
    const table = html.slice(html.indexOf('<table id="round-accounts">'), html.indexOf('</table>', html.indexOf('<table id="round-accounts">')));
    expect(table).toContain('<td>2</td><td>select &lt;2&gt;</td><td class="failed">failed</td><td>1</td><td>a, b</td><td>—</td>');
    expect(table).toContain('TOO_FEW_SURVIVORS: 2 of 3 answered');
    expect(table).toContain('<td>1</td><td>oneway</td><td class="">released</td>');
    expect(html).toMatch(/<td>a<\/td>.*<td>0\.1000<\/td><td class="failed">0\.05000<\/td>/);
    expect(html).toMatch(/<td>c<\/td>.*<td>0\.1000<\/td><td>0\.000<\/td>/);
  });

  it('the parties page adds up, per party, rho charged by released rounds and without a release', () => {
    const html = partiesPage('alice', new Map([['a', { studies: 2, rhoCharged: 0.2, rhoUnreleased: 0.05 }]]), ['a']);
    expect(html).toContain('<tr><td>a</td><td>online</td><td>2</td><td>0.2000</td><td>0.05000</td></tr>');
  });
});
