import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityResultV1 } from '../../core/contracts/activityResult';
import type { ResultMeta } from '../../core/ports';
import { resultFolderSink } from './resultFolder';

const ID = 'A'.repeat(32);
const result = (status: string) => ({ activityId: ID, status }) as unknown as ActivityResultV1;
const meta: ResultMeta = { correlationId: 'test', scoredAt: '2026-12-03T00:00:00.000Z', partitionDate: '2026-12-03' };

describe('resultFolderSink', () => {
  it('writes several results of one activity at once without either failing, leaving one whole file', async () => {
    // Each write has its own temporary file: with one name per process, the second rename found
    // the file already moved (ENOENT).
    const dir = mkdtempSync(join(tmpdir(), 'result-folder-'));
    const sink = resultFolderSink(dir);
    await expect(Promise.all([sink.write(result('scored'), meta), sink.write(result('partial'), meta), sink.write(result('unscored'), meta)])).resolves.toHaveLength(3);
    expect(readdirSync(dir)).toEqual([`${ID}.json`]);
    expect(['scored', 'partial', 'unscored']).toContain(JSON.parse(readFileSync(join(dir, `${ID}.json`), 'utf8')).status);
  });
});
