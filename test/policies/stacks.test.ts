/**
 * The real stacks pass the gate: every `Pulumi.<stack>.yaml` under mocks, through the real pack,
 * with zero mandatory violations (advisory ones are printed, not failed).
 */
import { runGate, violationLines } from './gateProcess';

jest.setTimeout(60_000);

describe('policy gate on the stack files', () => {
  it('finds no mandatory violation in any stack', async () => {
    const run = await runGate([]);
    expect(run.stderr).not.toMatch(/^policy: /m);
    expect(violationLines(run.stdout, 'mandatory', true)).toEqual([]);
    expect(run.code).toBe(0);
  });
});
