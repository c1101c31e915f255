#!/usr/bin/env node
// Entry point of the `fedsynth` command: runs the compiled CLI (built by `npm run build`, which
// `npm ci` runs through the `prepare` script).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`fedsynth: INTERNAL: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);
