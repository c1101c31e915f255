// Every command's help text (descriptions, options, defaults) names no path outside the project: no
// absolute path of the machine it was written on, no ../sibling checkout, no home directory.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram, reflowParagraphs } from './main.js';

const COMMANDS = ['demo', 'simulate', 'generate', 'evaluate', 'plan', 'privacy', 'sample', 'verify', 'pki', 'coordinator', 'agent', 'study', 'custodian', 'schema', 'audit'];

/** An absolute path of two or more segments, a parent-relative path, or a home directory (URL paths like /metrics are one segment). */
const OUTSIDE = /(^|[\s'"(=`:,])(\/[\w.-]+\/[\w.-]+|\.\.\/|~\/)/;

/** The description lines of one help text (between "Usage:" and the first section heading). */
function descriptionLines(help: string): string[] {
  const lines = help.split('\n');
  const end = lines.findIndex((l, i) => i > 0 && /^(Options|Commands|Arguments):/.test(l));
  return lines.slice(1, end < 0 ? lines.length : end);
}

/** Lines of a paragraph cut short (under 60 columns) although the paragraph goes on with a plain word. */
function raggedLines(help: string): string[] {
  const d = descriptionLines(help);
  return d.filter((l, i) => l.trim() !== '' && l.length < 60 && i + 1 < d.length && /^[a-z`(]/.test(d[i + 1] ?? ''));
}

/** [command path, whole help text] of the top level and of every (sub)command, each command module loaded. */
const helps: [string, string][] = [];

beforeAll(async () => {
  const walk = (c: Command, path: string): void => {
    helps.push([path, c.helpInformation()]);
    for (const s of c.commands) walk(s, `${path} ${s.name()}`);
  };
  walk(await buildProgram(['node', 'fedsynth']), 'fedsynth');
  for (const name of COMMANDS) walk(await buildProgram(['node', 'fedsynth', name]), 'fedsynth');
}, 240_000); // loading every command module is slow on a loaded machine

describe('help texts', () => {
  it('rewrap descriptions as paragraphs: no line cut short mid-paragraph (80 columns)', () => {
    expect(helps.flatMap(([p, h]) => raggedLines(h).map((l) => `${p}: ${l}`))).toEqual([]);
    // the check can fail: a source-width break inside a paragraph, as printed without the reflow
    expect(raggedLines('Usage: x\n\nRun a whole consortium in one command: split a table among N simulated parties,\nstart a real\ncoordinator and N party agents.\n\nOptions:')).toEqual(['start a real']);
    expect(reflowParagraphs('one\ntwo\n\n- a\n- b\n  indented')).toBe('one two\n\n- a\n- b\n  indented');
  });

  it('name no path outside the project', () => {
    const lines = helps.flatMap(([p, h]) => h.split('\n').map((l): [string, string] => [p, l]));
    expect(lines.length).toBeGreaterThan(300); // every command was loaded
    expect(lines.filter(([, l]) => OUTSIDE.test(l)).map(([p, l]) => `${p}: ${l.trim()}`)).toEqual([]);
    // the check can fail: it catches the kinds of path it is meant to
    for (const bad of ['see ../shared/tools/x.mjs', 'default: "/work/main/data"', '(~/kits/alice)']) expect(OUTSIDE.test(bad), bad).toBe(true);
  });
});
