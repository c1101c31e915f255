// signConsortiumReport: the coordinator's signed manifest over its consortium report (report-manifest.json:
// report.json, report.html and the outputs' manifest.json), in the delivery signing scheme with its own context.
import { REPORT_MANIFEST, type Manifest } from '../../shared/manifest/Manifest.js';
import { REPORT_FILES } from './ConsortiumReport.js';
import { writeSignedManifest, type ManifestMeta, type OutputSigner } from './SignedManifest.js';

/** What `study fetch` downloads besides the outputs: the report and its signed manifest. */
export const OPERATOR_REPORT_FILES = [...REPORT_FILES, REPORT_MANIFEST.file] as const;

/** Files the report manifest covers: the report, and the outputs' manifest it was computed beside. */
export const REPORT_MANIFEST_FILES = [...REPORT_FILES, 'manifest.json'] as const;

/**
 * Writes `dir/report-manifest.json` over REPORT_MANIFEST_FILES, signed with the coordinator's kit key
 * (unsigned without `signer`, like the outputs' manifest). Listing manifest.json binds the report to
 * the exact signed outputs it describes. The report is not delivered to the parties, so it cannot
 * be in their manifest.json (each party writes its own local report under the same names).
 */
export function signConsortiumReport(dir: string, meta: ManifestMeta, signer?: OutputSigner): Manifest {
  return writeSignedManifest(dir, REPORT_MANIFEST_FILES, meta, signer, REPORT_MANIFEST);
}
