// The `fedsynth verify` command: checks a study output directory against its signed manifest.json
// (signature, signer certificate chained to --ca, every file's size and SHA-256).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { verifyStudyOutputs } from '../../platform/delivery/verifyStudyOutputs.js';

interface VerifyCliOptions {
  ca?: string;
  allowUnsigned?: boolean;
  requireReport?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description(
      'Check a study output directory (from `study fetch`, the demo, or an agent\'s outputs/<study>) against\n' +
        'its manifest.json: the coordinator\'s Ed25519 signature, its certificate (issued by --ca when given)\n' +
        'and the size and SHA-256 of every listed file; with report-manifest.json in the directory (`study fetch`),\n' +
        'the same for the coordinator\'s consortium report (report.json, report.html). Exit 0 when everything\n' +
        'matches; on any mismatch prints VERIFICATION_FAILED naming the file(s) and exits 65.',
    )
    .argument('<dir>', 'directory holding manifest.json and the output files')
    .option('--ca <pem>', 'consortium CA certificate: the signer certificate must be issued by it')
    .option('--allow-unsigned', 'accept a manifest without signature (hashes are still checked)')
    .option('--require-report', "fail unless the coordinator's consortium report is there and signed (report-manifest.json)")
    .option('--json', 'print the result as one JSON line')
    .action((dir: string, o: VerifyCliOptions) => {
      let caPem: string | undefined;
      if (o.ca !== undefined) {
        try {
          caPem = readFileSync(o.ca, 'utf8');
        } catch {
          throw new FedsynthError(ErrorCode.NotFound, `--ca ${o.ca}: cannot read`, { file: o.ca });
        }
      }
      const r = verifyStudyOutputs(dir, { caPem, allowUnsigned: o.allowUnsigned ?? false, requireReport: o.requireReport ?? false });
      if (o.json) {
        process.stdout.write(JSON.stringify({ ok: true, ...r }) + '\n');
        return;
      }
      const lines = [
        `study ${r.studyId}: ${r.signer ? `signed by ${r.signer}${r.caSource === 'given' ? ' (certificate issued by the given CA)' : r.caSource === 'directory' ? ' (certificate issued by the ca.crt shipped in the directory: pass --ca for a CA certificate you obtained separately)' : ' (certificate NOT checked against a CA: pass --ca)'}` : 'UNSIGNED (hashes only)'}`,
        ...r.files.map((f) => `ok  ${f.name}  ${f.bytes} bytes  sha256 ${f.sha256}`),
        ...(r.report
          ? [`consortium report: ${r.report.signer ? `signed by ${r.report.signer} (report-manifest.json, same certificate checks)` : 'UNSIGNED (hashes only)'}`, ...r.report.files.map((f) => `ok  ${f.name}  ${f.bytes} bytes  sha256 ${f.sha256}`)]
          : []),
        `privacy spent: rho ${r.privacy.rho}, epsilon ${r.privacy.epsilon}, delta ${r.privacy.delta}`,
        ...(r.unlisted.length ? [`not covered by the manifest: ${r.unlisted.join(', ')}`] : []),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
