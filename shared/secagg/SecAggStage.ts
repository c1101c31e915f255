// SecAggStage: the closed union of secure-aggregation stages shared by party and coordinator,
// in protocol order (Bonawitz et al., CCS 2017, Fig. 4: rounds 0..4).

/** The five stages of one aggregation round, in the order they must happen. */
export type SecAggStage = 'advertiseKeys' | 'shareKeys' | 'maskedInput' | 'consistency' | 'unmask';

/** The stages in protocol order. */
export const SECAGG_STAGES: readonly SecAggStage[] = ['advertiseKeys', 'shareKeys', 'maskedInput', 'consistency', 'unmask'];

/** The stage after `stage`, or undefined after 'unmask'. */
export function nextStage(stage: SecAggStage): SecAggStage | undefined {
  const i = SECAGG_STAGES.indexOf(stage);
  return SECAGG_STAGES[i + 1];
}
