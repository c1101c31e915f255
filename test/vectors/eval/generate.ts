// generate: rewrites the evaluation known-answer figures (run with vite-node only after a deliberate,
// documented change of an estimator; the test fails on any figure that differs from the stored file).
import { writeFileSync } from 'node:fs';
import { evalVectors } from './evalVectors.js';

writeFileSync(new URL('figures.json', import.meta.url), JSON.stringify(evalVectors()) + '\n');
