/** ScoringFunction under mocks: image, environment, role policy, VPC placement and the SQS event source. */
import * as pulumi from '@pulumi/pulumi';
import { SCORING_NEEDS, SETTINGS } from '../../core/config';
import { parseStackConfig, type StackConfig } from '../../infra/config';
import { type MockedStack, type RecordedResource, runMocked } from '../../infra/mock/harness';
import { ScoringQueue } from '../../infra/queue';
import {
  athenaStatements,
  eventSourceMaxConcurrency,
  ScoringFunction,
  type ScoringFunctionArgs,
  type TritonTarget,
  validateScoringFunctionArgs,
} from '../../infra/scoringFunction';
import { ComponentArgsError, Storage } from '../../infra/storage';
import { stackTags } from '../../infra/tags';

const base = {
  owner: 'reading-platform',
  costCenter: 'cc-1042',
  audioBucket: 'tutor-speech-dev',
  audioPrefix: 'speech/',
  storyBucket: 'tutor-content-dev',
  storyKey: 'stories/story-phrases.json',
  athenaDatabase: 'tutor_dev',
  athenaTables: ['activity_v', 'activity_events'],
  appsyncSecretName: 'readscore/dev/appsync',
  reservedConcurrency: 10,
  lambdaMemoryMb: 4096,
  lambdaTimeoutSec: 90,
  logRetentionDays: 14,
};
const cpuConfig = parseStackConfig('dev', { ...base, engine: 'cpu', imageTag: 'v1.2.3', architecture: 'arm64' });
const PUSHED = '123456789012.dkr.ecr.us-east-1.amazonaws.com/readscore-lambda:v1.2.3';
const tritonConfig = parseStackConfig('staging', { ...base, engine: 'triton', imageUri: PUSHED, modelRepositoryUri: 's3://readscore-models/triton/', maxConcurrency: 8 });
const TRITON: TritonTarget = {
  url: 'https://triton.internal.example:8443',
  caSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:readscore/staging/triton-ca-AbCdEf',
  caSecretName: 'readscore/staging/triton-ca',
  subnetIds: ['subnet-a', 'subnet-b'],
  securityGroupId: 'sg-lambda',
};

type Statement = { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> };
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

async function build(config: StackConfig, triton?: TritonTarget): Promise<MockedStack> {
  return runMocked(config, (opts) => {
    const root = new pulumi.ComponentResource('test:index:Root', 'root', {}, opts);
    const tags = stackTags(config);
    const storage = new Storage('storage', { config, tags }, { parent: root });
    const queue = new ScoringQueue('scoring', { config, tags }, { parent: root });
    const fn = new ScoringFunction('score', { config, tags, storage, queue, ...(triton ? { triton } : {}) }, { parent: root });
    return { fn: fn.fn.urn, mapping: fn.eventSourceMapping.urn, policy: fn.rolePolicy.urn, imageUri: fn.imageUri, repository: fn.repository?.urn ?? 'none' };
  });
}

/** The env names the scoring handler requires (AWS_REGION is Lambda's own and reserved). */
const requiredEnv = SCORING_NEEDS.filter((n) => n !== 'region').map((n) => SETTINGS.find((s) => s.path === `aws.${n}`)?.env);

function envOf(fn: RecordedResource): Record<string, string> {
  return (fn.inputs.environment as { variables: Record<string, string> }).variables;
}

function statementsOf(stack: MockedStack): Statement[] {
  return JSON.parse(stack.one('aws:iam/rolePolicy:RolePolicy', 'score').inputs.policy as string).Statement;
}

describe('ScoringFunction, CPU path', () => {
  let stack: MockedStack;
  let fn: RecordedResource;
  let queue: RecordedResource;
  let statements: Statement[];

  beforeAll(async () => {
    stack = await build(cpuConfig);
    fn = stack.one('aws:lambda/function:Function');
    queue = stack.one('aws:sqs/queue:Queue', 'scoring-queue');
    statements = statementsOf(stack);
  });

  it('maps the scoring queue to the function, one message per invocation, with partial batch failures', () => {
    const mapping = stack.one('aws:lambda/eventSourceMapping:EventSourceMapping');
    expect(stack.byRef(mapping.inputs.eventSourceArn)).toBe(queue);
    expect(stack.byRef(mapping.inputs.functionName)).toBe(fn);
    expect(mapping.inputs).toMatchObject({ batchSize: 1, functionResponseTypes: ['ReportBatchItemFailures'], scalingConfig: { maximumConcurrency: 10 } });
    expect(mapping.dependsOn).toContain('aws:iam/rolePolicy:RolePolicy::score-policy');
  });

  it('runs the stack repository’s image at the configured tag: immutable, scanned, KMS-encrypted, pruned', () => {
    const repo = stack.one('aws:ecr/repository:Repository');
    expect(fn.inputs.imageUri).toBe(`${repo.state.repositoryUrl}:v1.2.3`);
    expect(stack.outputs.imageUri).toBe(fn.inputs.imageUri);
    expect(repo.inputs).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
    expect(repo.inputs.encryptionConfigurations).toEqual([{ encryptionType: 'KMS', kmsKey: stack.one('aws:kms/key:Key').state.arn }]);
    const lifecycle = JSON.parse(stack.one('aws:ecr/lifecyclePolicy:LifecyclePolicy').inputs.policy as string);
    expect(lifecycle.rules[0]).toMatchObject({ selection: { tagStatus: 'any', countType: 'imageCountMoreThan' }, action: { type: 'expire' } });
    const pull = JSON.parse(stack.one('aws:ecr/repositoryPolicy:RepositoryPolicy').inputs.policy as string).Statement[0];
    expect(pull.Principal).toEqual({ Service: 'lambda.amazonaws.com' });
    expect(pull.Condition.StringLike['aws:sourceArn']).toBe('arn:aws:lambda:us-east-1:123456789012:function:readscore-dev-*');
  });

  it('sizes the function from config and stays out of any VPC', () => {
    expect(fn.inputs).toMatchObject({
      name: 'readscore-dev-score',
      packageType: 'Image',
      architectures: ['arm64'],
      memorySize: 4096,
      timeout: 90,
      reservedConcurrentExecutions: 10,
    });
    expect(fn.inputs.vpcConfig).toBeUndefined();
    expect(stack.byRef(fn.inputs.role)).toBe(stack.one('aws:iam/role:Role'));
  });

  it('logs to its own group with the configured retention, created before the function', () => {
    const logGroup = stack.one('aws:cloudwatch/logGroup:LogGroup');
    expect(logGroup.inputs).toMatchObject({ name: '/aws/lambda/readscore-dev-score', retentionInDays: 14, kmsKeyId: stack.one('aws:kms/key:Key').state.arn });
    expect(fn.inputs.loggingConfig).toMatchObject({ logGroup: '/aws/lambda/readscore-dev-score' });
    expect(fn.dependsOn).toContain(`aws:cloudwatch/logGroup:LogGroup::${logGroup.name}`);
  });

  it('sets every variable the scoring handler needs, only known setting names, each valid for its setting and no secret value', () => {
    const env = envOf(fn);
    expect(requiredEnv).not.toContain(undefined);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(requiredEnv as string[]));
    for (const [name, value] of Object.entries(env)) {
      const s = SETTINGS.find((x) => x.env === name);
      expect({ name, known: Boolean(s) }).toEqual({ name, known: true });
      expect({ name, parsed: s?.parse(value) }).not.toEqual({ name, parsed: { error: expect.anything() } });
    }
    expect(env).not.toHaveProperty('AWS_REGION');
    expect(env).toMatchObject({
      READSCORE_ENGINE: 'cpu',
      READSCORE_AUDIO_PREFIX: 'speech/',
      READSCORE_RESULTS_BUCKET: stack.one('aws:s3/bucket:Bucket', 'results').state.bucket,
      READSCORE_RESULTS_KMS_KEY_ID: stack.one('aws:kms/key:Key').state.arn,
      READSCORE_ATHENA_WORKGROUP: stack.one('aws:athena/workgroup:Workgroup').state.name,
      READSCORE_APPSYNC_SECRET: 'readscore/dev/appsync',
    });
    expect(Object.keys(env).filter((k) => k.startsWith('READSCORE_TRITON'))).toEqual([]);
    expect(Object.values(env).filter((v) => /BEGIN|PRIVATE KEY|api_key/i.test(v))).toEqual([]);
    expect(fn.secretPaths).toEqual([]);
  });

  it('lets the role write results only under results/ and read audio only under the prefix', () => {
    const resultsArn = stack.one('aws:s3/bucket:Bucket', 'results').state.arn as string;
    const onResults = statements.filter((s) => list(s.Resource).some((r) => r.startsWith(resultsArn)));
    expect(onResults.flatMap((s) => list(s.Resource))).toEqual([`${resultsArn}/results/*`]);
    expect(onResults.flatMap((s) => list(s.Action)).sort()).toEqual(['s3:DeleteObject', 's3:PutObject']);

    const onAudio = statements.filter((s) => list(s.Resource).some((r) => r.startsWith('arn:aws:s3:::tutor-speech-dev')));
    for (const s of onAudio) {
      if (list(s.Resource).includes('arn:aws:s3:::tutor-speech-dev')) {
        expect(s).toMatchObject({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': 'speech/*' } } });
      } else {
        expect(s).toMatchObject({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::tutor-speech-dev/speech/*' });
      }
    }
    expect(onAudio).toHaveLength(2);
    expect(statements.find((s) => s.Resource === 'arn:aws:s3:::tutor-content-dev/stories/story-phrases.json')).toMatchObject({ Action: 's3:GetObject' });
  });

  it('grants no wildcard action, and Resource "*" only to PutMetricData under the ReadScore/ namespaces', () => {
    expect(statements.flatMap((s) => list(s.Action)).filter((a) => a.includes('*'))).toEqual([]);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    const anyResource = statements.filter((s) => list(s.Resource).includes('*'));
    expect(anyResource).toEqual([expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Condition: { StringLike: { 'cloudwatch:namespace': 'ReadScore/*' } } })]);
    expect(stack.ofType('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'aws:iam/policyAttachment:PolicyAttachment')).toEqual([]);
    expect(stack.one('aws:iam/role:Role').inputs.managedPolicyArns).toBeUndefined();
  });

  it('scopes queue, key, secret, Athena, Glue and log access to this stack’s resources', () => {
    const byAction = (action: string) => statements.filter((s) => list(s.Action).includes(action)).flatMap((s) => list(s.Resource));
    expect(byAction('sqs:ReceiveMessage')).toEqual([queue.state.arn]);
    expect(byAction('sqs:ChangeMessageVisibility')).toEqual([queue.state.arn]);
    expect(byAction('kms:GenerateDataKey')).toEqual([stack.one('aws:kms/key:Key').state.arn]);
    expect(byAction('secretsmanager:GetSecretValue')).toEqual(['arn:aws:secretsmanager:us-east-1:123456789012:secret:readscore/dev/appsync-*']);
    expect(byAction('athena:StartQueryExecution')).toEqual([stack.one('aws:athena/workgroup:Workgroup').state.arn]);
    expect(byAction('glue:GetTable')).toEqual([
      'arn:aws:glue:us-east-1:123456789012:catalog',
      'arn:aws:glue:us-east-1:123456789012:database/tutor_dev',
      'arn:aws:glue:us-east-1:123456789012:table/tutor_dev/activity_v',
      'arn:aws:glue:us-east-1:123456789012:table/tutor_dev/activity_events',
    ]);
    const athenaArn = stack.one('aws:s3/bucket:Bucket', 'athena').state.arn;
    expect(byAction('s3:PutObject')).toEqual(expect.arrayContaining([`${athenaArn}/staging/*`]));
    expect(byAction('logs:PutLogEvents')).toEqual([`${stack.one('aws:cloudwatch/logGroup:LogGroup').state.arn}:*`]);
    expect(stack.byRef(stack.one('aws:iam/rolePolicy:RolePolicy').inputs.role)).toBe(stack.one('aws:iam/role:Role'));
  });
});

describe('ScoringFunction, Triton path', () => {
  let stack: MockedStack;
  let fn: RecordedResource;
  let statements: Statement[];

  beforeAll(async () => {
    stack = await build(tritonConfig, TRITON);
    fn = stack.one('aws:lambda/function:Function');
    statements = statementsOf(stack);
  });

  it('runs the pushed image from config and creates no repository', () => {
    expect(fn.inputs.imageUri).toBe(PUSHED);
    expect(stack.ofType('aws:ecr/repository:Repository')).toEqual([]);
  });

  it('places the function in the given subnets and security group and points it at Triton over HTTPS', () => {
    expect(fn.inputs.vpcConfig).toEqual({ subnetIds: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-lambda'] });
    expect(envOf(fn)).toMatchObject({
      READSCORE_ENGINE: 'triton',
      READSCORE_TRITON_URL: 'https://triton.internal.example:8443',
      READSCORE_TRITON_CA_SECRET: 'readscore/staging/triton-ca',
      READSCORE_TRITON_FALLBACK_CPU: 'true',
    });
    expect(stack.one('aws:lambda/eventSourceMapping:EventSourceMapping').inputs.scalingConfig).toEqual({ maximumConcurrency: 8 });
  });

  it('adds the CA secret and the ENI statement, the only other Resource "*"', () => {
    expect(statements.filter((s) => list(s.Action).includes('secretsmanager:GetSecretValue')).flatMap((s) => list(s.Resource))).toContain(TRITON.caSecretArn);
    const anyResource = statements.filter((s) => list(s.Resource).includes('*'));
    expect(anyResource.map((s) => s.Sid).sort()).toEqual(['LambdaVpcNetworkInterfaces', 'PutReadScoreMetrics']);
    const eni = anyResource.find((s) => s.Sid === 'LambdaVpcNetworkInterfaces');
    expect(list(eni?.Action ?? []).every((a) => a.startsWith('ec2:') && !a.includes('*'))).toBe(true);
    expect(list(eni?.Action ?? [])).toContain('ec2:CreateNetworkInterface');
  });
});

describe('validateScoringFunctionArgs', () => {
  const parts = { tags: stackTags(cpuConfig), storage: {} as Storage, queue: {} as ScoringQueue };
  const check = (args: Partial<ScoringFunctionArgs>) => () => validateScoringFunctionArgs({ ...parts, config: cpuConfig, ...args } as ScoringFunctionArgs);

  it('requires the Triton target with engine triton and refuses it with cpu', () => {
    expect(check({ config: tritonConfig })).toThrow(/ScoringFunction: args.triton is required when readscore:engine is triton/);
    expect(check({ triton: TRITON })).toThrow(/args.triton must be omitted when readscore:engine is cpu/);
    expect(check({ config: tritonConfig, triton: TRITON })).not.toThrow();
    expect(check({})).not.toThrow();
  });

  it('refuses a plaintext Triton URL and an empty subnet list, naming the argument', () => {
    expect(check({ config: tritonConfig, triton: { ...TRITON, url: 'http://triton:8000' } })).toThrow(/args.triton.url must be https:\/\//);
    expect(check({ config: tritonConfig, triton: { ...TRITON, subnetIds: [] } })).toThrow(ComponentArgsError);
    expect(check({ config: tritonConfig, triton: { ...TRITON, subnetIds: [] } })).toThrow(/args.triton.subnetIds/);
  });

  it('refuses a config with both or neither image source', () => {
    expect(check({ config: { ...cpuConfig, imageUri: PUSHED } })).toThrow(/args.config.imageUri/);
    expect(check({ config: { ...cpuConfig, imageTag: undefined } })).toThrow(/args.config.imageUri/);
  });
});

describe('eventSourceMaxConcurrency', () => {
  it('uses maxConcurrency, else the reserved concurrency, never below AWS’s minimum of 2', () => {
    expect(eventSourceMaxConcurrency({ maxConcurrency: 150, reservedConcurrency: 200 })).toBe(150);
    expect(eventSourceMaxConcurrency({ maxConcurrency: undefined, reservedConcurrency: 40 })).toBe(40);
    expect(eventSourceMaxConcurrency({ maxConcurrency: undefined, reservedConcurrency: 1 })).toBe(2);
  });
});

describe('athenaStatements', () => {
  const refs = {
    partition: 'aws',
    region: 'us-east-1',
    accountId: '123456789012',
    workgroupArn: 'arn:wg',
    athenaDatabase: 'tutor',
    athenaTables: ['activity_v'],
    athenaResultsBucketArn: 'arn:aws:s3:::athena',
  };
  it('grants read-only access to the queried tables’ data locations, within their prefix', () => {
    const statements = athenaStatements({ ...refs, athenaDataLocations: ['s3://tutor-lake/activity/', 's3://tutor-stories/'] });
    expect(statements.filter((s) => s.Sid.startsWith('AthenaSource'))).toEqual([
      {
        Sid: 'AthenaSourceList0',
        Effect: 'Allow',
        Action: ['s3:ListBucket', 's3:GetBucketLocation'],
        Resource: 'arn:aws:s3:::tutor-lake',
        Condition: { StringLike: { 's3:prefix': ['activity/*'] } },
      },
      { Sid: 'AthenaSourceRead0', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::tutor-lake/activity/*' },
      { Sid: 'AthenaSourceList1', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetBucketLocation'], Resource: 'arn:aws:s3:::tutor-stories' },
      { Sid: 'AthenaSourceRead1', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::tutor-stories/*' },
    ]);
    expect(athenaStatements(refs).some((s) => s.Sid.startsWith('AthenaSource'))).toBe(false);
  });
});
