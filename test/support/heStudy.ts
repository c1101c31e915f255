// heStudy: an announced HE study (domain spec and invited parties) for custodian tests — what the
// coordinator sends with a key request and the custodian derives the key's threshold from.
import type { StudySpec } from '../../shared/study/StudySpec.js';

export function heStudy(studyId: string, parties: readonly string[], terms: Partial<Pick<StudySpec, 'minParties' | 'colluders' | 'dropouts'>> = {}): { spec: StudySpec; parties: readonly string[] } {
  const spec: StudySpec = {
    studyId,
    title: 'custodian test',
    mechanism: 'mst',
    epsilon: 1,
    delta: 1e-9,
    rho: 0,
    columns: ['a'],
    domain: [{ name: 'a', size: 2 }],
    aggregation: 'he',
    minParties: terms.minParties ?? 2,
    colluders: terms.colluders ?? 0,
    dropouts: terms.dropouts ?? 0,
    syntheticRows: 10,
    domainHash: '',
    maxSilosPerIndividual: 1,
    targetColumn: '',
    schemaJson: '',
    neighbours: 0,
  };
  return { spec, parties };
}
