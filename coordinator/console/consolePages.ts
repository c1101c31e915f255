// consolePages: the operator console's server-rendered HTML (no scripts, no external resources):
// the studies overview, one study's rounds, parties, spend and deliveries, and the audit trail.
import type { DeliveryAckRecord, RoundRecord, StudyPartyRecord, StudyRecord } from '../store/CoordinatorStore.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import type { RoundAccount } from '../../shared/study/RoundAccount.js';

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.bar{display:inline-block;height:10px;background:#4a7;vertical-align:middle}.off{color:#999}.failed{color:#b00}
nav a{margin-right:1em}code{font-size:12px}`;

/** One complete page with the console's navigation. */
export function page(title: string, operator: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · fedsynth console</title><style>${STYLE}</style></head>
<body><nav><a href="/">Studies</a><a href="/parties">Parties</a><a href="/audit">Audit trail</a><a href="/metrics">Metrics</a><span class="off">signed in as ${escapeHtml(operator)} (read-only)</span></nav>
<h1>${escapeHtml(title)}</h1>
${body}</body></html>`;
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function progressBar(p: number): string {
  const pct = Math.round(Math.max(0, Math.min(1, p)) * 100);
  return `<span class="bar" style="width:${pct}px"></span> ${pct}%`;
}

export interface StudyRow {
  study: StudyRecord;
  spec: StudySpec | undefined;
  roundsDone: number;
  parties: StudyPartyRecord[];
}

export function studiesPage(operator: string, rows: readonly StudyRow[], online: readonly string[]): string {
  const body = rows.length === 0
    ? '<p>No studies yet.</p>'
    : `<table id="studies"><tr><th>study</th><th>state</th><th>progress</th><th>phase</th><th>mechanism</th><th>epsilon</th><th>rounds</th><th>parties (approved / invited)</th><th>updated</th></tr>
${rows
  .map(({ study: s, spec, roundsDone, parties }) => `<tr><td><a href="/studies/${encodeURIComponent(s.id)}">${escapeHtml(s.id)}</a></td><td class="${s.state === 'failed' ? 'failed' : ''}">${escapeHtml(s.state)}</td><td>${progressBar(s.progress)}</td><td>${escapeHtml(s.phase)}</td><td>${escapeHtml(spec?.mechanism ?? '?')}</td><td>${spec?.epsilon ?? '?'}</td><td>${roundsDone}</td><td>${parties.filter((p) => p.decision === 'approved').length} / ${parties.length}</td><td>${time(s.updatedMs)}</td></tr>`)
  .join('\n')}</table>`;
  return page('Studies', operator, `${body}<p>Parties online now: ${online.length === 0 ? 'none' : online.map(escapeHtml).join(', ')}</p>`);
}

export function partiesPage(operator: string, invited: ReadonlyMap<string, { studies: number; rhoCharged: number; rhoUnreleased: number }>, online: readonly string[]): string {
  const all = [...new Set([...invited.keys(), ...online])].sort();
  const on = new Set(online);
  const rows = all
    .map((p) => {
      const i = invited.get(p);
      return `<tr><td>${escapeHtml(p)}</td><td>${on.has(p) ? 'online' : '<span class="off">offline</span>'}</td><td>${i?.studies ?? 0}</td><td>${(i?.rhoCharged ?? 0).toPrecision(4)}</td><td>${(i?.rhoUnreleased ?? 0).toPrecision(4)}</td></tr>`;
    })
    .join('\n');
  return page('Parties', operator, `<table id="parties"><tr><th>party</th><th>connection</th><th>studies invited to</th><th>rho charged (all studies, released rounds)</th><th>rho charged without a release (all studies)</th></tr>\n${rows}</table>`);
}

export interface StudyDetail {
  study: StudyRecord;
  spec: StudySpec | undefined;
  parties: StudyPartyRecord[];
  online: ReadonlySet<string>;
  rounds: readonly RoundRecord[];
  deliveries: ReadonlyMap<string, readonly DeliveryAckRecord[]>;
  /** Output files present in the study's directory, with their sizes. */
  outputs: readonly { name: string; bytes: number }[];
  /** Every round asked: charged at whom, released or not and why (shared/study/RoundAccount). */
  accounts: readonly RoundAccount[];
  /** Approved parties that confirmed every output file. */
  delivered: number;
}

export function studyPage(operator: string, d: StudyDetail): string {
  const s = d.study;
  const spec = d.spec;
  const summary = `<table id="summary">
<tr><th>state</th><td class="${s.state === 'failed' ? 'failed' : ''}">${escapeHtml(s.state)}${s.errorCode ? ` — ${escapeHtml(s.errorCode)}: ${escapeHtml(s.errorMessage)}` : ''}</td></tr>
<tr><th>progress</th><td>${progressBar(s.progress)} ${escapeHtml(s.phase)}</td></tr>
<tr><th>mechanism</th><td>${escapeHtml(spec?.mechanism ?? '?')}, aggregation ${escapeHtml(spec?.aggregation ?? '?')}</td></tr>
<tr><th>budget</th><td>epsilon ${spec?.epsilon ?? '?'}, delta ${spec?.delta ?? '?'} (rho ${spec?.rho.toPrecision(4) ?? '?'}); rho spent ${s.rhoSpent.toPrecision(4)}</td></tr>
<tr><th>created / updated</th><td>${time(s.createdMs)} / ${time(s.updatedMs)}</td></tr>
<tr><th>delivery</th><td id="delivery">${deliveryLine(d)}</td></tr></table>`;
  const unreleased = new Map<string, number>();
  for (const a of d.accounts) for (const [p, r] of a.unreleasedRho) unreleased.set(p, (unreleased.get(p) ?? 0) + r);
  const parties = `<h2>Parties</h2><table id="study-parties"><tr><th>party</th><th>connection</th><th>decision</th><th>rho charged (released rounds)</th><th>rho charged, not released</th><th>dropped out</th><th>files confirmed</th></tr>
${d.parties
  .map((p) => `<tr><td>${escapeHtml(p.partyId)}</td><td>${d.online.has(p.partyId) ? 'online' : '<span class="off">offline</span>'}</td><td>${escapeHtml(p.decision)}${p.reason ? `: ${escapeHtml(p.reason)}` : ''}</td><td>${p.rhoCharged.toPrecision(4)}</td><td${unreleased.has(p.partyId) ? ' class="failed"' : ''}>${(unreleased.get(p.partyId) ?? 0).toPrecision(4)}</td><td>${p.dropped ? 'yes' : 'no'}</td><td>${(d.deliveries.get(p.partyId) ?? []).map((f) => escapeHtml(f.fileName)).join(', ') || '—'}</td></tr>`)
  .join('\n')}</table>`;
  const rounds = `<h2>Rounds</h2>${d.rounds.length === 0 ? '<p>No completed round yet.</p>' : `<table id="rounds"><tr><th>#</th><th>label</th><th>rho</th><th>cells</th><th>noise stddev</th><th>contributors</th><th>dropped</th><th>completed</th></tr>
${d.rounds
  .map((r) => `<tr><td>${r.roundIndex + 1}</td><td>${escapeHtml(r.label)}</td><td>${r.rho.toPrecision(3)}</td><td>${r.sum.length}</td><td>${r.stddev.toPrecision(3)}</td><td>${r.participants.map(escapeHtml).join(', ')}</td><td>${r.dropped.map(escapeHtml).join(', ') || '—'}</td><td>${time(r.completedMs)}</td></tr>`)
  .join('\n')}</table>`}`;
  const accounts = `<h2>Charges by round</h2>${d.accounts.length === 0 ? '<p>No round asked yet.</p>' : `<p>A party charges its ledger before it answers a round; a round whose aggregate never came back charged the parties listed without a release.</p><table id="round-accounts"><tr><th>#</th><th>label</th><th>outcome</th><th>attempts</th><th>charged at</th><th>released with</th><th>rho per charge</th><th>why not released</th></tr>
${d.accounts
  .map((a) => `<tr><td>${a.roundIndex + 1}</td><td>${escapeHtml(a.label)}</td><td class="${a.outcome === 'failed' || a.outcome === 'interrupted' ? 'failed' : ''}">${escapeHtml(a.outcome.replace('_', ' '))}</td><td>${a.attempts}</td><td>${a.charged.map(escapeHtml).join(', ') || '—'}</td><td>${a.releasedTo.map(escapeHtml).join(', ') || '—'}</td><td>${a.rho.toPrecision(3)}</td><td>${a.outcome === 'released' ? (a.unreleasedRho.size > 0 ? `also charged without release at ${[...a.unreleasedRho.keys()].map(escapeHtml).join(', ')}` : '—') : escapeHtml(a.errorCode ? `${a.errorCode}: ${a.errorMessage}` : a.summary)}</td></tr>`)
  .join('\n')}</table>`}`;
  const outputs = `<h2>Delivered outputs</h2>${d.outputs.length === 0 ? '<p>None yet.</p>' : `<table id="outputs"><tr><th>file</th><th>bytes</th></tr>
${d.outputs.map((o) => `<tr><td>${o.name.endsWith('.json') ? `<a href="/studies/${encodeURIComponent(s.id)}/files/${encodeURIComponent(o.name)}">${escapeHtml(o.name)}</a>` : escapeHtml(o.name)}</td><td>${o.bytes}</td></tr>`).join('\n')}</table>`}`;
  return page(`Study ${s.id}`, operator, summary + parties + accounts + rounds + outputs + `<p><a href="/audit?study=${encodeURIComponent(s.id)}">Audit trail of this study</a></p>`);
}

/** "outputs confirmed by k/n approved parties" once the study delivers, else "not yet". */
function deliveryLine(d: StudyDetail): string {
  if (d.study.state !== 'delivering' && d.study.state !== 'done') return 'not yet';
  return `outputs confirmed by ${d.delivered}/${d.parties.filter((p) => p.decision === 'approved').length} approved parties`;
}

/** One parsed audit line (the fields the console shows). */
export interface AuditLine {
  seq: number;
  time: string;
  actor: string;
  event: string;
  details: Record<string, unknown>;
}

export function auditPage(operator: string, lines: readonly AuditLine[], total: number, study: string | undefined): string {
  const rows = lines
    .map((l) => `<tr><td>${l.seq}</td><td>${escapeHtml(l.time)}</td><td>${escapeHtml(l.actor)}</td><td>${escapeHtml(l.event)}</td><td><code>${escapeHtml(JSON.stringify(l.details))}</code></td></tr>`)
    .join('\n');
  const scope = study ? ` of study ${escapeHtml(study)}` : '';
  return page('Audit trail', operator, `<p>The last ${lines.length} records${scope} (of ${total} in the coordinator's hash-chained audit log; verify the file with <code>fedsynth audit verify</code>).</p>
<table id="audit"><tr><th>seq</th><th>time</th><th>actor</th><th>event</th><th>details</th></tr>
${rows}</table>`);
}

export function refusalPage(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} · fedsynth console</title></head><body><h1>${status === 401 ? 'Certificate required' : 'Not allowed'}</h1><p>${escapeHtml(message)}</p></body></html>`;
}
