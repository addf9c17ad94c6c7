import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppSyncError } from '../adapters/aws/appsync';
import { AthenaQueryError } from '../adapters/aws/athena';
import { ResultEncodeError } from '../adapters/aws/parquet';
import { TritonCallError } from '../engines/triton/client';
import { ContractError } from './contracts/errors';
import { AudioDecodeError, ConfigError, EngineError, ModelError, ReadScoreError, ReadScoreFault, ReadScoreInputError } from './errors';

const ROOT = join(__dirname, '..');

/** Every .ts file under `dir`, tests excluded. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

describe('one error family (core/errors.ts)', () => {
  it('every error of the product extends ReadScoreError, apart from the listed exceptions', () => {
    // The aligner is a self-contained package; FileProblem is an internal step its callers map to
    // typed errors; the two AppSync classes never leave appsync.ts.
    const allowed = new Set([
      'core/errors.ts:ReadScoreError',
      'aligner/errors.ts:AlignerInputError',
      'core/files/regularFile.ts:FileProblem',
      'adapters/aws/appsync.ts:AttemptTimeout',
      'adapters/aws/appsync.ts:ResponseTooLarge',
    ]);
    const outside: string[] = [];
    for (const file of ['core', 'engines', 'adapters', 'handlers', 'aligner'].flatMap(sources)) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/class (\w+) extends Error\b/g)) {
        if (!allowed.has(`${file}:${m[1]}`)) outside.push(`${file}:${m[1]}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('input errors and faults are told apart by class, and carry their code', () => {
    const input = [
      new AudioDecodeError('outside-root', 'p.wav', 'x'),
      new ConfigError('bad-flag', '--x', 'x'),
      new ModelError('bad-manifest', 'm', 'x'),
      new ContractError('C v1', 'msg', 'x'),
      new ResultEncodeError('bad-value', 'r', 'x'),
    ];
    const faults = [
      new EngineError('bad-output', 'x'),
      new AthenaQueryError('timeout', 'RUNNING', 'q', 'x'),
      new AppSyncError('timeout', 'a', 'x', { retryable: true, attempts: 1 }),
      new TritonCallError('ModelInfer', 14, 3, 'x'),
    ];
    for (const e of input) expect([e instanceof ReadScoreInputError, e instanceof ReadScoreFault, typeof e.code]).toEqual([true, false, 'string']);
    for (const e of faults) expect([e instanceof ReadScoreFault, e instanceof ReadScoreInputError, e instanceof ReadScoreError]).toEqual([true, false, true]);
    expect(new AthenaQueryError('timeout', 'RUNNING', 'q', 'x')).toMatchObject({ code: 'timeout', name: 'AthenaQueryError', message: 'athena query q: x' });
    expect(new TritonCallError('ModelInfer', 14, 3, 'down')).toMatchObject({
      code: 'call-failed',
      name: 'TritonCallError',
      message: 'ModelInfer failed after 3 attempt(s): UNAVAILABLE: down',
    });
  });
});
