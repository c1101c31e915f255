#!/usr/bin/env node
// Entry point of the `fedsynth` command: runs the compiled CLI (built by `npm run build`, which
// `npm ci` runs through the `prepare` script).
import { main } from '../dist/cli/main.js';

// A closed pipe (`fedsynth simulate --help | head`) ends the output, not the process with a stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`fedsynth: INTERNAL: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);
