/** Enqueuer under mocks: schedule → target → function, the invoke permission, environment and role policy. */
import * as pulumi from '@pulumi/pulumi';
import { ENQUEUER_NEEDS, SETTINGS } from '../../core/config';
import { parseStackConfig } from '../../infra/config';
import { Enqueuer, type EnqueuerArgs, validateEnqueuerArgs } from '../../infra/enqueuer';
import { type MockedStack, type RecordedResource, runMocked } from '../../infra/mock/harness';
import { ScoringQueue } from '../../infra/queue';
import { ComponentArgsError, Storage } from '../../infra/storage';
import { stackTags } from '../../infra/tags';

const config = parseStackConfig('dev', {
  engine: 'cpu',
  owner: 'reading-platform',
  costCenter: 'cc-1042',
  imageTag: 'v1.2.3',
  audioBucket: 'tutor-speech-dev',
  storyBucket: 'tutor-content-dev',
  storyKey: 'stories/story-phrases.json',
  athenaDatabase: 'tutor_dev',
  athenaTables: 'activity_v, activity_events',
  appsyncSecretName: 'readscore/dev/appsync',
  enqueueSchedule: 'cron(30 5 * * ? *)',
  logRetentionDays: 60,
});
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/readscore-dev-lambda:v1.2.3';

type Statement = { Sid: string; Action: string | string[]; Resource: string | string[] };
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

describe('Enqueuer', () => {
  let stack: MockedStack;
  let fn: RecordedResource;
  let rule: RecordedResource;
  let queue: RecordedResource;
  let statements: Statement[];

  beforeAll(async () => {
    stack = await runMocked(config, (opts) => {
      const root = new pulumi.ComponentResource('test:index:Root', 'root', {}, opts);
      const tags = stackTags(config);
      const storage = new Storage('storage', { config, tags }, { parent: root });
      const scoring = new ScoringQueue('scoring', { config, tags }, { parent: root });
      const enqueuer = new Enqueuer('enqueuer', { config, tags, storage, queue: scoring, imageUri: IMAGE }, { parent: root });
      return { fn: enqueuer.fn.urn, target: enqueuer.target.urn, permission: enqueuer.permission.urn, policy: enqueuer.rolePolicy.urn };
    });
    fn = stack.one('aws:lambda/function:Function');
    rule = stack.one('aws:cloudwatch/eventRule:EventRule');
    queue = stack.one('aws:sqs/queue:Queue', 'scoring-queue');
    statements = JSON.parse(stack.one('aws:iam/rolePolicy:RolePolicy').inputs.policy as string).Statement;
  });

  it('runs the scoring image with the enqueue handler, small, short and one at a time', () => {
    expect(fn.inputs).toMatchObject({
      name: 'readscore-dev-enqueue',
      packageType: 'Image',
      imageUri: IMAGE,
      imageConfig: { commands: ['dist/handlers/lambda/enqueue.handler'] },
      memorySize: 512,
      timeout: 300,
      reservedConcurrentExecutions: 1,
    });
    expect(fn.inputs.vpcConfig).toBeUndefined();
    expect(stack.byRef(fn.inputs.role)).toBe(stack.one('aws:iam/role:Role'));
  });

  it('is run by the schedule: rule → target → function, and only that rule may invoke it', () => {
    expect(rule.inputs).toMatchObject({ scheduleExpression: 'cron(30 5 * * ? *)', state: 'ENABLED' });
    const target = stack.one('aws:cloudwatch/eventTarget:EventTarget');
    expect(stack.byRef(target.inputs.rule)).toBe(rule);
    expect(stack.byRef(target.inputs.arn)).toBe(fn);
    const permission = stack.one('aws:lambda/permission:Permission');
    expect(permission.inputs).toMatchObject({ action: 'lambda:InvokeFunction', principal: 'events.amazonaws.com' });
    expect(stack.byRef(permission.inputs.sourceArn)).toBe(rule);
    expect(stack.byRef(permission.inputs.function)).toBe(fn);
  });

  it('sets exactly the enqueuer’s variables, the queue URL among them', () => {
    const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
    const required = ENQUEUER_NEEDS.filter((n) => n !== 'region').map((n) => SETTINGS.find((s) => s.path === `aws.${n}`)?.env);
    expect(Object.keys(env).sort()).toEqual((required as string[]).sort());
    expect(env).toEqual({
      READSCORE_ATHENA_WORKGROUP: stack.one('aws:athena/workgroup:Workgroup').state.name,
      READSCORE_ATHENA_DATABASE: 'tutor_dev',
      READSCORE_SCORING_QUEUE_URL: queue.state.url,
    });
  });

  it('logs to its own group with the configured retention', () => {
    const logGroup = stack.one('aws:cloudwatch/logGroup:LogGroup');
    expect(logGroup.inputs).toMatchObject({ name: '/aws/lambda/readscore-dev-enqueue', retentionInDays: 60 });
    expect(fn.inputs.loggingConfig).toMatchObject({ logGroup: '/aws/lambda/readscore-dev-enqueue' });
    expect(fn.dependsOn).toContain(`aws:cloudwatch/logGroup:LogGroup::${logGroup.name}`);
  });

  it('may only send to the scoring queue, query in the workgroup and use the staging prefix; no wildcard action or resource', () => {
    const actions = statements.flatMap((s) => list(s.Action));
    const resources = statements.flatMap((s) => list(s.Resource));
    expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
    expect(statements.filter((s) => list(s.Action).includes('sqs:SendMessage')).flatMap((s) => list(s.Resource))).toEqual([queue.state.arn]);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(resources).not.toContain('*');
    const resultsArn = stack.one('aws:s3/bucket:Bucket', 'results').state.arn as string;
    expect(resources.filter((r) => r.startsWith(resultsArn) || r.includes('tutor-speech-dev'))).toEqual([]);
    expect(actions).not.toContain('secretsmanager:GetSecretValue');
    const athenaArn = stack.one('aws:s3/bucket:Bucket', 'athena').state.arn;
    expect(statements.filter((s) => list(s.Action).includes('s3:PutObject')).flatMap((s) => list(s.Resource))).toEqual([`${athenaArn}/staging/*`]);
    expect(statements.filter((s) => list(s.Action).includes('athena:StartQueryExecution')).flatMap((s) => list(s.Resource))).toEqual([
      stack.one('aws:athena/workgroup:Workgroup').state.arn,
    ]);
    expect(resources).toContain('arn:aws:glue:us-east-1:123456789012:table/tutor_dev/activity_events');
  });

  it('tags the function, role, log group and rule', () => {
    for (const type of ['aws:lambda/function:Function', 'aws:iam/role:Role', 'aws:cloudwatch/logGroup:LogGroup', 'aws:cloudwatch/eventRule:EventRule']) {
      expect({ type, tags: stack.one(type).inputs.tags }).toEqual({ type, tags: stackTags(config) });
    }
  });
});

describe('validateEnqueuerArgs', () => {
  const args = { config, tags: stackTags(config), storage: {} as Storage, queue: {} as ScoringQueue, imageUri: IMAGE };

  it('requires the image, naming the argument', () => {
    expect(() => validateEnqueuerArgs({ ...args, imageUri: '' })).toThrow(ComponentArgsError);
    expect(() => validateEnqueuerArgs({ ...args, imageUri: '' })).toThrow(/Enqueuer: args.imageUri is required/);
    expect(() => validateEnqueuerArgs(args)).not.toThrow();
  });

  it('refuses a schedule EventBridge would not accept', () => {
    expect(() => validateEnqueuerArgs({ ...args, config: { ...config, enqueueSchedule: '0 6 * * *' } } as EnqueuerArgs)).toThrow(/args.config.enqueueSchedule/);
  });
});
