/**
 * The gate end to end: mocked program → the real pack in a child process over Analyzer gRPC →
 * report and exit code. The bad-stack fixture fails naming every policy; pack config levels are honoured.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allPolicies } from '../../policies/all';
import { PolicyPackError, RunningPack } from '../../policies/gate/pack';
import { runGate, violationLines } from './gateProcess';

jest.setTimeout(60_000);

describe('policy gate on the bad-stack fixture', () => {
  it('exits 1 and names every policy, with the issue’s violations on their resources', async () => {
    const run = await runGate(['--program', 'policies/fixtures/badStack.ts#badStack']);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(1);
    const lines = violationLines(run.stdout);
    const fired = new Set(lines.map((l) => l.split(' ')[1]));
    expect([...fired].sort()).toEqual(allPolicies.map((p) => p.name).sort());
    expect(lines).toEqual(
      expect.arrayContaining([
        'mandatory listener-no-plaintext aws:lb/listener:Listener bad-http',
        'mandatory sqs-redrive-policy aws:sqs/queue:Queue bad-queue',
        'mandatory s3-bucket-public-access-blocked aws:s3/bucket:Bucket bad-bucket',
        'mandatory s3-bucket-encrypted aws:s3/bucket:Bucket bad-bucket',
        'mandatory iam-no-wildcard-action aws:iam/rolePolicy:RolePolicy bad-admin',
        'mandatory iam-no-admin-policy aws:iam/rolePolicy:RolePolicy bad-admin',
        'mandatory lambda-reserved-concurrency aws:lambda/function:Function bad-fn',
        'mandatory ecs-gpu-capacity-mix aws:ecs/service:Service bad-triton',
        'advisory required-tags aws:sqs/queue:Queue bad-queue',
      ]),
    );
    expect(run.stdout).toContain('aws:ecs/service:Service bad-triton runs GPU tasks on Spot capacity only (providers: readscore-bad-gpu-spot)');
    expect(run.stdout).toContain('policy: mandatory violations — the change fails the gate');
  });
});

describe('policy gate enforcement levels from pack config', () => {
  const program = 'policies/fixtures/singleViolation.ts';

  it('fails on a mandatory violation, and only reports it once config sets the policy advisory', async () => {
    const mandatory = await runGate(['--program', `${program}#logGroupWithoutRetention`]);
    expect({ code: mandatory.code, lines: violationLines(mandatory.stdout) }).toEqual({
      code: 1,
      lines: ['mandatory log-group-retention aws:cloudwatch/logGroup:LogGroup forever-logs'],
    });
    const config = join(mkdtempSync(join(tmpdir(), 'policy-config-')), 'advisory.json');
    writeFileSync(config, JSON.stringify({ 'log-group-retention': 'advisory' }));
    const advisory = await runGate(['--program', `${program}#logGroupWithoutRetention`, '--config', config]);
    expect({ code: advisory.code, lines: violationLines(advisory.stdout) }).toEqual({
      code: 0,
      lines: ['advisory log-group-retention aws:cloudwatch/logGroup:LogGroup forever-logs'],
    });
    expect(advisory.stdout).toContain('policy: no mandatory violations');
  });

  it('reports missing tags as advisory with the dev config and fails on them with the prod config', async () => {
    const dev = await runGate(['--program', `${program}#untaggedLogGroup`, '--stack', 'dev']);
    expect({ code: dev.code, lines: violationLines(dev.stdout) }).toEqual({ code: 0, lines: ['advisory required-tags aws:cloudwatch/logGroup:LogGroup untagged-logs'] });
    const prod = await runGate(['--program', `${program}#untaggedLogGroup`, '--stack', 'prod']);
    expect({ code: prod.code, lines: violationLines(prod.stdout) }).toEqual({ code: 1, lines: ['mandatory required-tags aws:cloudwatch/logGroup:LogGroup untagged-logs'] });
  });
});

describe('RunningPack', () => {
  it('rejects, without hanging, when the pack exits before printing its port', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-pack-'));
    await expect(RunningPack.start(empty, { startMs: 20_000, callMs: 1_000 })).rejects.toThrow(PolicyPackError);
  });
});
