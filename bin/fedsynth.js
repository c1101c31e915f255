#!/usr/bin/env node
// Entry point of the `fedsynth` command: runs the compiled CLI (built by `npm run build`, which
// `npm ci` runs through the `prepare` script).
import { main } from '../dist/cli/main.js';

// gRPC dials IP addresses (127.0.0.1) with the IP as TLS server name; certificates carry IP SANs, so
// Node's RFC 6066 deprecation notice about it is noise for operators. Every other warning stays.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning?.message;
  if (typeof text === 'string' && text.includes('TLS ServerName to an IP address')) return;
  emitWarning(warning, ...rest);
};

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
