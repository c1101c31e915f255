// OutputDownloads: delivered files land only under outputs/<approved study>/; an unsafe name ('..'
// as the study id would reach the agent's state directory) or a study not approved is refused and counted.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../platform/logging/logging.js';
import { FrameRefusals } from '../../platform/grpc/FrameRefusals.js';
import { OutputDownloads } from './OutputDownloads.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-downloads-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('OutputDownloads', () => {
  it('stores a file of an approved study; refuses unsafe names and unapproved studies, naming the field', async () => {
    const refusedFrames = new FrameRefusals(silentLogger(), 'coordinator');
    const downloads = new OutputDownloads({ stateDir: root, log: silentLogger(), audit: () => undefined, onManifest: () => undefined, refusedFrames, approved: (id) => id === 'study-1' });
    const data = Buffer.from('a,b\n1,2\n');
    const sha256 = createHash('sha256').update(data).digest('hex');
    const chunk = (studyId: string, fileName: string) => ({ studyId, fileName, offset: 0, data, last: true, sha256 });
    const acks: unknown[] = [];
    for (const [studyId, fileName] of [['..', 'ledger.sqlite'], ['study-1', '..'], ['.', 'x.csv'], ['ghost', 'synthetic.csv']]) downloads.onDelivery(chunk(studyId, fileName), (b) => acks.push(b));
    expect(refusedFrames.byField()).toEqual({ 'PROTOCOL_VIOLATION delivery.study_id': 2, 'PROTOCOL_VIOLATION delivery.file_name': 1, 'UNKNOWN_STUDY delivery.study_id': 1 });
    expect(existsSync(join(root, 'ledger.sqlite'))).toBe(false);
    expect(existsSync(join(root, 'outputs', 'ghost'))).toBe(false);
    const acked = new Promise<unknown>((resolve) => downloads.onDelivery(chunk('study-1', 'synthetic.csv'), resolve));
    expect(await acked).toMatchObject({ $case: 'deliveryAck', value: { studyId: 'study-1', fileName: 'synthetic.csv', ok: true } });
    expect(readFileSync(join(root, 'outputs', 'study-1', 'synthetic.csv'), 'utf8')).toBe(data.toString());
    expect(acks).toEqual([]);
  });
});
