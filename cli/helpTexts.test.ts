// Every command's help text (descriptions, options, defaults) names no path outside the project: no
// absolute path of the machine it was written on, no ../sibling checkout, no home directory.
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from './main.js';

const COMMANDS = ['demo', 'simulate', 'generate', 'evaluate', 'plan', 'privacy', 'sample', 'verify', 'pki', 'coordinator', 'agent', 'study', 'custodian', 'schema', 'audit'];

/** An absolute path of two or more segments, a parent-relative path, or a home directory (URL paths like /metrics are one segment). */
const OUTSIDE = /(^|[\s'"(=`:,])(\/[\w.-]+\/[\w.-]+|\.\.\/|~\/)/;

/** [command path, help line] for every line of every (sub)command's help. */
function helpLines(c: Command, path: string): [string, string][] {
  const own = c.helpInformation().split('\n').map((l): [string, string] => [path, l]);
  return [...own, ...c.commands.flatMap((s) => helpLines(s, `${path} ${s.name()}`))];
}

describe('help texts', () => {
  it('name no path outside the project', async () => {
    const lines: [string, string][] = helpLines(await buildProgram(['node', 'fedsynth']), 'fedsynth');
    for (const name of COMMANDS) lines.push(...helpLines(await buildProgram(['node', 'fedsynth', name]), 'fedsynth'));
    expect(lines.length).toBeGreaterThan(300); // every command was loaded
    expect(lines.filter(([, l]) => OUTSIDE.test(l)).map(([p, l]) => `${p}: ${l.trim()}`)).toEqual([]);
    // the check can fail: it catches the kinds of path it is meant to
    for (const bad of ['see ../shared/tools/x.mjs', 'default: "/work/main/data"', '(~/kits/alice)']) expect(OUTSIDE.test(bad), bad).toBe(true);
  }, 60_000);
});
