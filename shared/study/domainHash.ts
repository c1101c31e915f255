// domainHash: a content hash of the public consortium domain (column names and sizes, in order),
// so a coordinator and an agent can tell they speak about the same columns and codes.
import { createHash } from 'node:crypto';
import type { Domain } from '../pgm/Domain.js';

export function domainHash(domain: Pick<Domain, 'attrs' | 'shape'>): string {
  const canon = JSON.stringify(domain.attrs.map((a, i) => [a, domain.shape[i]]));
  return createHash('sha256').update(canon, 'utf8').digest('hex');
}
