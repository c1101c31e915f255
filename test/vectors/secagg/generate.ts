// generate: rewrites the secure-aggregation known-answer vectors (run with vite-node after a
// deliberate protocol change; the test fails on any byte that differs from the stored files).
import { writeFileSync } from 'node:fs';
import { negativeVectors, positiveVectors } from './secaggVectors.js';

const dir = new URL('.', import.meta.url);
writeFileSync(new URL('positive.json', dir), JSON.stringify(await positiveVectors(), null, 1) + '\n');
writeFileSync(new URL('negative.json', dir), JSON.stringify(await negativeVectors(), null, 1) + '\n');
