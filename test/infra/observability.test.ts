/** The Observability component under mocks: alarms wired to the topic, the metrics they watch, the dashboard. */
import type * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig, type StackConfig } from '../../infra/config';
import { type MockedStack, type RecordedResource, runMocked } from '../../infra/mock/harness';
import { ALARM_THRESHOLDS, Observability, type ObservabilityArgs, validateObservabilityArgs } from '../../infra/observability';
import { ScoringQueue } from '../../infra/queue';
import { stackTags } from '../../infra/tags';

const ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm';
const CERT_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666';
const GPU = {
  albArnSuffix: 'app/readscore-prod-triton/0123456789abcdef',
  targetGroupArnSuffix: 'targetgroup/readscore-prod-triton/fedcba9876543210',
  clusterName: 'readscore-prod-triton',
  serviceName: 'readscore-prod-triton',
  certificateArn: CERT_ARN,
  autoScalingGroupNames: ['readscore-prod-gpu-spot', 'readscore-prod-gpu-ondemand'],
};
const CPU_ALARMS = ['dlqDepth', 'queueBacklog', 'oldestMessage', 'lambdaErrors', 'lambdaThrottles', 'lambdaP95Duration', 'enqueuerErrors', 'jobsFailed'];
const GPU_ALARMS = ['alb5xx', 'unhealthyHosts', 'noHealthyHosts', 'tritonP95Latency', 'certificateExpiry', 'gpuUtilisationHigh', 'gpuUtilisationLow'];

const base = {
  owner: 'reading-platform',
  costCenter: 'cc-1042',
  imageTag: 'v1',
  audioBucket: 'tutor-speech-dev',
  storyBucket: 'tutor-content-dev',
  storyKey: 'stories/story-phrases.json',
  athenaDatabase: 'tutor_dev',
  appsyncSecretName: 'readscore/dev/appsync',
};
const cpuConfig = () => parseStackConfig('dev', { ...base, engine: 'cpu', lambdaTimeoutSec: '60' });
const gpuConfig = () =>
  parseStackConfig('prod', {
    ...base,
    engine: 'triton',
    modelRepositoryUri: 's3://readscore-prod-models/triton/',
    alarmEmail: 'oncall@example.org',
    githubRepository: 'readscore/readscore',
  });

/** Builds a queue and the component below a root, as the stack does. */
async function build(config: StackConfig, extra: Partial<ObservabilityArgs> = {}): Promise<{ stack: MockedStack; observability: Observability }> {
  let observability: Observability | undefined;
  const stack = await runMocked(config, (opts) => {
    const root = new pulumi.ComponentResource('test:index:Root', 'root', {}, opts);
    const tags = stackTags(config);
    const queue = new ScoringQueue('q', { config, tags }, { parent: root });
    observability = new Observability(
      'obs',
      {
        config,
        tags,
        queue,
        scoringFunctionName: 'readscore-test-score',
        enqueuerFunctionName: 'readscore-test-enqueue',
        ...(config.engine === 'triton' ? { gpu: GPU } : {}),
        ...extra,
      },
      { parent: root },
    );
    return { topicArn: observability.topic.arn, dashboard: observability.dashboard.dashboardName };
  });
  if (!observability) throw new Error('the program did not run');
  return { stack, observability };
}

const alarmNamed = (stack: MockedStack, part: string): RecordedResource => stack.one(ALARM, `obs-${part}`);
const byName = (stack: MockedStack, name: string) => stack.ofType(ALARM).find((a) => a.inputs.name === name);

describe('Observability (CPU)', () => {
  let stack: MockedStack;
  let observability: Observability;
  beforeAll(async () => {
    ({ stack, observability } = await build(cpuConfig()));
  });

  it('exposes the CPU alarms and no GPU alarm', () => {
    expect(Object.keys(observability.alarms).sort()).toEqual([...CPU_ALARMS].sort());
    const names = stack.ofType(ALARM).map((a) => a.inputs.name);
    expect(names).toHaveLength(CPU_ALARMS.length);
    for (const gpuMetric of ['AWS/ApplicationELB', 'AWS/CertificateManager', 'CWAgent']) expect(JSON.stringify(stack.ofType(ALARM).map((a) => a.inputs))).not.toContain(gpuMetric);
  });

  it('sends every alarm and its recovery to the topic, and sets missing-data handling on each', () => {
    const topic = stack.one('aws:sns/topic:Topic');
    for (const alarm of stack.ofType(ALARM)) {
      expect(alarm.inputs.alarmActions).toEqual([topic.state.arn]);
      expect(alarm.inputs.okActions).toEqual([topic.state.arn]);
      expect(['missing', 'ignore', 'breaching', 'notBreaching']).toContain(alarm.inputs.treatMissingData);
      expect(alarm.inputs.alarmDescription).toMatch(/ Runbook: docs\/runbooks\/[a-z-]+\.md$/);
      expect(alarm.parent).toBe('readscore:index:Observability::obs');
    }
  });

  it('watches the DLQ by its name with a depth ≥ 1', () => {
    const dlq = stack.one('aws:sqs/queue:Queue', 'q-dlq');
    const alarm = byName(stack, 'readscore-dev-dlq-depth');
    expect(alarm?.inputs).toMatchObject({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: dlq.inputs.name },
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      treatMissingData: 'notBreaching',
    });
    expect(dlq.state.name).toBe(dlq.inputs.name);
  });

  it('alarms on the scoring queue’s backlog for 3 minutes and on its oldest message', () => {
    const queue = stack.one('aws:sqs/queue:Queue', 'q-queue');
    expect(byName(stack, 'readscore-dev-queue-backlog')?.inputs).toMatchObject({
      dimensions: { QueueName: queue.inputs.name },
      threshold: ALARM_THRESHOLDS.queueBacklogMessages,
      comparisonOperator: 'GreaterThanThreshold',
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    expect(byName(stack, 'readscore-dev-oldest-message')?.inputs).toMatchObject({
      metricName: 'ApproximateAgeOfOldestMessage',
      threshold: 300,
      dimensions: { QueueName: queue.inputs.name },
    });
  });

  it('puts the p95 duration alarm at 80 % of readscore:lambdaTimeoutSec', () => {
    expect(alarmNamed(stack, 'scoring-p95-duration').inputs).toMatchObject({
      namespace: 'AWS/Lambda',
      metricName: 'Duration',
      extendedStatistic: 'p95',
      threshold: 48_000,
      dimensions: { FunctionName: 'readscore-test-score' },
    });
    expect(alarmNamed(stack, 'scoring-p95-duration').inputs.statistic).toBeUndefined();
  });

  it('watches errors of both functions and failed jobs of every reason', () => {
    expect(alarmNamed(stack, 'scoring-errors').inputs).toMatchObject({
      metricName: 'Errors',
      threshold: 10,
      evaluationPeriods: 2,
      dimensions: { FunctionName: 'readscore-test-score' },
    });
    expect(alarmNamed(stack, 'enqueuer-errors').inputs).toMatchObject({ metricName: 'Errors', dimensions: { FunctionName: 'readscore-test-enqueue' } });
    const [query] = alarmNamed(stack, 'jobs-failed').inputs.metricQueries as { expression: string; returnData: boolean }[];
    expect(query?.expression).toBe(`SELECT SUM(Failed) FROM SCHEMA("ReadScore/Jobs", Reason, service) WHERE service = 'readscore'`);
    expect(query?.returnData).toBe(true);
  });

  it('encrypts the topic with a key of its own that CloudWatch may use, and subscribes no one without alarmEmail', () => {
    const key = stack.one('aws:kms/key:Key');
    expect(stack.one('aws:sns/topic:Topic').inputs.kmsMasterKeyId).toBe(key.state.arn);
    expect(key.inputs.enableKeyRotation).toBe(true);
    const policy = JSON.parse(key.inputs.policy as string) as { Statement: { Principal: Record<string, string>; Action: string | string[] }[] };
    expect(policy.Statement.find((s) => s.Principal.Service === 'cloudwatch.amazonaws.com')?.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(stack.ofType('aws:sns/topicSubscription:TopicSubscription')).toHaveLength(0);
    expect(observability.subscription).toBeUndefined();
  });

  it('draws Lambda, SQS and the app’s namespaces on a valid dashboard body', () => {
    const dashboard = stack.one('aws:cloudwatch/dashboard:Dashboard');
    const body = JSON.parse(dashboard.inputs.dashboardBody as string) as { widgets: { type: string; x: number; width: number; properties: { region?: string } }[] };
    const text = JSON.stringify(body);
    for (const needle of [
      'ReadScore/Alignment',
      'ReadScore/Activity',
      'ReadScore/Inference',
      'ReadScore/Jobs',
      'AWS/Lambda',
      'ConcurrentExecutions',
      '"readscore-dev-scoring"',
      '"readscore-dev-scoring-dlq"',
    ])
      expect(text).toContain(needle);
    expect(text).not.toContain('AWS/ApplicationELB');
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      if (w.type === 'metric') expect(w.properties.region).toBe('us-east-1');
    }
  });
});

describe('Observability (GPU)', () => {
  let stack: MockedStack;
  let observability: Observability;
  beforeAll(async () => {
    ({ stack, observability } = await build(gpuConfig(), { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/given' }));
  });

  it('adds the ALB, certificate and GPU alarms, all to the topic both ways', () => {
    expect(Object.keys(observability.alarms).sort()).toEqual([...CPU_ALARMS, ...GPU_ALARMS].sort());
    const topic = stack.one('aws:sns/topic:Topic');
    for (const alarm of stack.ofType(ALARM)) {
      expect(alarm.inputs.alarmActions).toEqual([topic.state.arn]);
      expect(alarm.inputs.okActions).toEqual([topic.state.arn]);
      expect(alarm.inputs.treatMissingData).toEqual(expect.any(String));
    }
  });

  it('counts both ELB and target 5XX', () => {
    const queries = alarmNamed(stack, 'triton-5xx').inputs.metricQueries as {
      id: string;
      expression?: string;
      metric?: { metricName: string; dimensions: Record<string, string> };
    }[];
    expect(queries.map((q) => q.metric?.metricName).filter(Boolean)).toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count']);
    expect(queries.find((q) => q.id === 'target')?.metric?.dimensions).toEqual({ LoadBalancer: GPU.albArnSuffix, TargetGroup: GPU.targetGroupArnSuffix });
    expect(queries.find((q) => q.expression)?.expression).toBe('FILL(elb, 0) + FILL(target, 0)');
  });

  it('alarms on Triton p95 latency above 0.5 s and on unhealthy targets', () => {
    expect(alarmNamed(stack, 'triton-p95-latency').inputs).toMatchObject({
      metricName: 'TargetResponseTime',
      extendedStatistic: 'p95',
      threshold: 0.5,
      comparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarmNamed(stack, 'triton-unhealthy-hosts').inputs).toMatchObject({ metricName: 'UnHealthyHostCount', dimensions: { TargetGroup: GPU.targetGroupArnSuffix } });
  });

  it('names the certificate ARN on the expiry alarm', () => {
    expect(alarmNamed(stack, 'certificate-expiry').inputs).toMatchObject({
      namespace: 'AWS/CertificateManager',
      metricName: 'DaysToExpiry',
      dimensions: { CertificateArn: CERT_ARN },
      comparisonOperator: 'LessThanThreshold',
      threshold: 30,
    });
  });

  it('watches GPU utilisation through the CloudWatch agent’s nvidia_smi metric of each Auto Scaling group', () => {
    for (const [part, combine] of [
      ['gpu-utilisation-high', 'MAX'],
      ['gpu-utilisation-low', 'AVG'],
    ]) {
      const queries = alarmNamed(stack, part as string).inputs.metricQueries as { id: string; expression?: string; returnData: boolean; metric?: Record<string, unknown> }[];
      expect(queries.filter((q) => q.metric).map((q) => q.metric)).toEqual(
        GPU.autoScalingGroupNames.map((group) => ({
          namespace: 'CWAgent',
          metricName: 'nvidia_smi_utilization_gpu',
          dimensions: { AutoScalingGroupName: group },
          period: 300,
          stat: 'Average',
        })),
      );
      expect(queries.filter((q) => q.returnData).map((q) => q.expression)).toEqual([`${combine}([g0, g1])`]);
    }
    expect(alarmNamed(stack, 'gpu-utilisation-high').inputs.threshold).toBe(95);
    expect(alarmNamed(stack, 'gpu-utilisation-low').inputs.threshold).toBe(20);
  });

  it('links each alarm to its runbook on GitHub when readscore:githubRepository is set', () => {
    expect(alarmNamed(stack, 'certificate-expiry').inputs.alarmDescription).toMatch(
      / Runbook: https:\/\/github\.com\/readscore\/readscore\/blob\/main\/docs\/runbooks\/cert-rotation-failure\.md$/,
    );
  });

  it('uses the given key and subscribes readscore:alarmEmail', () => {
    expect(stack.one('aws:sns/topic:Topic').inputs.kmsMasterKeyId).toBe('arn:aws:kms:us-east-1:123456789012:key/given');
    expect(stack.ofType('aws:kms/key:Key')).toHaveLength(0);
    const subscription = stack.one('aws:sns/topicSubscription:TopicSubscription');
    expect(subscription.inputs).toMatchObject({ protocol: 'email', endpoint: 'oncall@example.org', topic: stack.one('aws:sns/topic:Topic').state.arn });
  });

  it('draws the ALB, ECS and GPU widgets', () => {
    const text = stack.one('aws:cloudwatch/dashboard:Dashboard').inputs.dashboardBody as string;
    for (const needle of ['AWS/ApplicationELB', 'TargetResponseTime', 'AWS/ECS', 'nvidia_smi_utilization_gpu', CERT_ARN, 'ReadScore/Alignment']) expect(text).toContain(needle);
  });
});

describe('validateObservabilityArgs', () => {
  const queue = { queue: {} as aws.sqs.Queue, deadLetterQueue: {} as aws.sqs.Queue };
  const args = (config: StackConfig, extra: Partial<ObservabilityArgs> = {}): ObservabilityArgs => ({
    config,
    tags: stackTags(config),
    queue,
    scoringFunctionName: 'score',
    enqueuerFunctionName: 'enqueue',
    ...extra,
  });

  it('requires the GPU args with engine triton', () => {
    expect(() => validateObservabilityArgs('obs', args(gpuConfig()))).toThrow('Observability: args.gpu is required with engine triton');
  });

  it('names a missing GPU field', () => {
    expect(() => validateObservabilityArgs('obs', args(gpuConfig(), { gpu: { ...GPU, certificateArn: '' } }))).toThrow('Observability: args.gpu.certificateArn is required');
  });

  it('names an empty Auto Scaling group name', () => {
    expect(() => validateObservabilityArgs('obs', args(gpuConfig(), { gpu: { ...GPU, autoScalingGroupNames: ['a', ''] } }))).toThrow(
      'Observability: args.gpu.autoScalingGroupNames[1] is required',
    );
  });

  it('names a missing function name', () => {
    expect(() => validateObservabilityArgs('obs', args(cpuConfig(), { enqueuerFunctionName: '' }))).toThrow('Observability: args.enqueuerFunctionName is required');
  });

  it('accepts a complete CPU set', () => {
    expect(() => validateObservabilityArgs('obs', args(cpuConfig()))).not.toThrow();
  });
});
