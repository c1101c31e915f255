// StudyOutputs: the files a finished study leaves at the coordinator — synthetic.csv (decoded with
// the schema when there is one), synthetic.parquet, model.json, run.json and the signed manifest.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { epsilonFromRho } from '../../shared/dp/accounting/cdpConversion.js';
import { VERSION } from '../../shared/version.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import { studySpecToJson } from '../../platform/wire/studySpecWire.js';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { MechanismName, MechanismOutput } from '../study/runMechanism.js';
import type { ReleaseRecord } from '../study/ConsortiumOracle.js';
import type { ManifestPrivacy } from '../../shared/manifest/Manifest.js';
import { writeSignedManifest, type OutputSigner } from './SignedManifest.js';
import { writeParquet } from './ParquetWriter.js';
import type { SyntheticCsvWriter } from './SyntheticCsvWriter.js';

/** Every output file of a study, in delivery order (the manifest last). */
export const OUTPUT_FILES = ['synthetic.csv', 'synthetic.parquet', 'model.json', 'run.json', 'manifest.json'] as const;

export interface StudyOutputsInput {
  store: CoordinatorStore;
  /** The study's output folder (created if missing). */
  dir: string;
  studyId: string;
  spec: StudySpec;
  domain: Domain;
  mechanism: MechanismName;
  out: MechanismOutput;
  /** Holds every synthetic row already (streamed as drawn); finished here into synthetic.csv. */
  synthetic: SyntheticCsvWriter;
  /** Per release: query bytes sent to each party and answer entries (run.json `releases`). */
  releases?: readonly ReleaseRecord[];
  /** When synthesis started (ms since the epoch), for run.json's timings. */
  started: number;
  /** Signs manifest.json; without it the manifest is unsigned. */
  signer?: OutputSigner;
}

/** Writes every output file into `dir` and returns the privacy spent, as recorded in them. */
export async function writeStudyOutputs(o: StudyOutputsInput): Promise<ManifestPrivacy> {
  const { store, dir, studyId, spec, domain, mechanism, out } = o;
  mkdirSync(dir, { recursive: true });
  const schema = spec.schemaJson ? parseSchema(JSON.parse(spec.schemaJson)) : undefined;
  // Codes, or (a raw-data study) labels and values decoded with the public schema.
  o.synthetic.finish();
  await writeParquet(join(dir, 'synthetic.csv'), join(dir, 'synthetic.parquet'), domain.attrs, schema);
  const after = store.getStudy(studyId);
  // dpsgd: the gradient rounds cost RDP curves (not in rhoSpent, the zCDP part): the mechanism's
  // composed epsilon at the study's delta is the one spent (shared/synth/Dpsgd.ts).
  const rdpEpsilon = mechanism === 'dpsgd' && typeof out.details.epsilonSpent === 'number' ? out.details.epsilonSpent : undefined;
  const privacy = { rho: after.rhoSpent, epsilon: rdpEpsilon ?? epsilonFromRho(Math.max(after.rhoSpent, 1e-300), spec.delta), delta: spec.delta, rhoBudget: spec.rho };
  const parties = store.parties(studyId);
  // The header every output document starts with.
  const header = (format: string) => ({ format, softwareVersion: VERSION, studyId, mechanism });
  const modelDoc = {
    ...header('fedsynth-model/v1'),
    domain: Object.fromEntries(domain.attrs.map((a, i) => [a, domain.shape[i]])),
    privacy,
    details: out.details,
    model: out.modelJson,
    // The public schema, so `fedsynth sample` can decode new rows to labels like synthetic.csv.
    schema: spec.schemaJson ? (JSON.parse(spec.schemaJson) as unknown) : null,
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(modelDoc));
  const rounds = store.roundsDone(studyId);
  const runDoc = {
    ...header('fedsynth-run/v1'),
    aggregation: spec.aggregation,
    privacy,
    rounds,
    parties: parties.map((p) => ({ id: p.partyId, decision: p.decision, rhoCharged: p.rhoCharged, dropped: p.dropped })),
    droppedParties: parties.filter((p) => p.dropped).map((p) => p.partyId),
    syntheticRows: spec.syntheticRows,
    timings: { synthesizeSeconds: (Date.now() - o.started) / 1000 },
    // Bytes of the query each party was sent and the length of its answer, per release.
    releases: o.releases ?? [],
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(runDoc, null, 2));
  const listed = OUTPUT_FILES.filter((f) => f !== 'manifest.json' && existsSync(join(dir, f)));
  writeSignedManifest(dir, listed, { studyId, study: studySpecToJson(spec), privacy }, o.signer);
  return privacy;
}
