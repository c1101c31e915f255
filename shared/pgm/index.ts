// Public API of the graphical-model engine (Private-PGM in TypeScript): domains, factors,
// junction trees, belief propagation, estimation from measurements, the fitted model.
export { Domain } from './Domain.js';
export { Factor, logsumexpInto, sumInto } from './Factor.js';
export { indexMap, buildIndexMap, strides } from './IndexMap.js';
export { CliqueVector, cliqueKey } from './CliqueVector.js';
export { JunctionTree, greedyEliminationOrder, maximalCliques, hypotheticalModelSize } from './JunctionTree.js';
export { BeliefPropagator, beliefPropagation, potentialsOnTree } from './BeliefPropagation.js';
export { productMarginal, variableElimination } from './VariableElimination.js';
export { ancestralSample, type Evidence } from './AncestralSampler.js';
export { GraphicalModel, type GraphicalModelJson, type SampleOptions } from './GraphicalModel.js';
export type { Measurement } from './Measurement.js';
export { estimate, estimateTotal, type EstimateOptions } from './Estimation.js';
