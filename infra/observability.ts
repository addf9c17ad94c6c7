/**
 * Alarms, their SNS topic and the operations dashboard: the SQS queue and DLQ, the scoring and
 * enqueuer Lambdas, the app's own EMF metrics (`ReadScore/*`, dimension `service=readscore`) and,
 * with the GPU path, the Triton ALB, its ECS service, its certificate and the GPUs. Each alarm names
 * its runbook (docs/runbooks/) and notifies the topic both when it fires and when it clears.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import { dashboardBody, type MetricRef, metricWidget, type SeriesRef, textWidget, type Widget } from './dashboard';
import { resourceName, type Tags } from './tags';

/** The dimension Powertools adds to every ReadScore metric (POWERTOOLS_SERVICE_NAME / SERVICE_NAME). */
export const APP_DIMENSIONS = { service: 'readscore' } as const;

/**
 * The CloudWatch agent's NVIDIA metrics (`nvidia_gpu` section of its config), aggregated per Auto
 * Scaling group: the GPU hosts' agent config needs `append_dimensions: {AutoScalingGroupName:
 * "${aws:AutoScalingGroupName}"}` and `aggregation_dimensions: [["AutoScalingGroupName"]]`.
 * ECS Container Insights publishes no GPU utilisation, so these are the metrics to alarm and scale on.
 */
export const GPU_AGENT_METRICS = {
  namespace: 'CWAgent',
  utilisation: 'nvidia_smi_utilization_gpu',
  memoryUtilisation: 'nvidia_smi_utilization_memory',
  memoryUsed: 'nvidia_smi_memory_used',
  temperature: 'nvidia_smi_temperature_gpu',
} as const;

/** Thresholds of the alarms that are not derived from config (domain brief §5). */
export const ALARM_THRESHOLDS = {
  queueBacklogMessages: 1000,
  oldestMessageSec: 300,
  lambdaErrorsPerPeriod: 10,
  /** p95 duration alarm, as a fraction of the function timeout. */
  durationOfTimeout: 0.8,
  jobsFailedPer5Min: 10,
  tritonP95LatencySec: 0.5,
  certificateDaysToExpiry: 30,
  gpuUtilisationHighPercent: 95,
  gpuUtilisationLowPercent: 20,
} as const;

/** The GPU path's resources the alarms and widgets watch. */
export interface ObservabilityGpuArgs {
  /** `arnSuffix` of the internal ALB (the `LoadBalancer` dimension). */
  readonly albArnSuffix: pulumi.Input<string>;
  /** `arnSuffix` of Triton's target group (the `TargetGroup` dimension). */
  readonly targetGroupArnSuffix: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  readonly serviceName: pulumi.Input<string>;
  /** The ACM certificate of the ALB's HTTPS listener. */
  readonly certificateArn: pulumi.Input<string>;
  /**
   * The GPU instances' Auto Scaling groups (e.g. Spot and on-demand): with them, GPU utilisation
   * alarms and widgets on {@link GPU_AGENT_METRICS}. High fires when any group is saturated; low
   * when the groups' average is idle.
   */
  readonly autoScalingGroupNames?: readonly pulumi.Input<string>[];
}

/** Arguments of {@link Observability}. */
export interface ObservabilityArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
  /** The scoring queue and its DLQ (a ScoringQueue). */
  readonly queue: { readonly queue: aws.sqs.Queue; readonly deadLetterQueue: aws.sqs.Queue };
  readonly scoringFunctionName: pulumi.Input<string>;
  readonly enqueuerFunctionName: pulumi.Input<string>;
  /**
   * KMS key of the alarm topic. Its key policy must let `cloudwatch.amazonaws.com` use
   * `kms:Decrypt` and `kms:GenerateDataKey*`, or alarms cannot publish. Omitted: the component
   * creates such a key (the AWS managed `alias/aws/sns` key cannot grant CloudWatch, so alarm
   * notifications to a topic encrypted with it are silently dropped).
   */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** The GPU path (engine triton); omitted: no ALB, ECS, certificate or GPU alarms. */
  readonly gpu?: ObservabilityGpuArgs;
}

type Comparison = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
type MissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';

/** One alarm, before it becomes an aws.cloudwatch.MetricAlarm. */
interface AlarmSpec {
  /** Name part: `readscore-<env>-<part>`. */
  readonly part: string;
  readonly description: string;
  readonly runbook: string;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  /** Chosen per alarm: what no data means for this metric. */
  readonly treatMissingData: MissingData;
  readonly metric?: {
    readonly namespace: string;
    readonly name: string;
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    readonly period: number;
    readonly statistic?: string;
    readonly extendedStatistic?: string;
  };
  readonly queries?: pulumi.Input<aws.types.input.cloudwatch.MetricAlarmMetricQuery>[];
}

function requireArg(value: unknown, arg: string): void {
  if (value === undefined || value === null || value === '') throw new Error(`Observability: ${arg} is required`);
}

/** Checks the arguments up front; throws naming the first missing one. */
export function validateObservabilityArgs(name: string, args: ObservabilityArgs): void {
  requireArg(name, 'name');
  requireArg(args?.config, 'args.config');
  requireArg(args.tags, 'args.tags');
  requireArg(args.queue?.queue, 'args.queue.queue');
  requireArg(args.queue.deadLetterQueue, 'args.queue.deadLetterQueue');
  requireArg(args.scoringFunctionName, 'args.scoringFunctionName');
  requireArg(args.enqueuerFunctionName, 'args.enqueuerFunctionName');
  if (args.kmsKeyArn === '') throw new Error('Observability: args.kmsKeyArn must not be empty (omit it to create a key)');
  if (args.gpu) {
    for (const key of ['albArnSuffix', 'targetGroupArnSuffix', 'clusterName', 'serviceName', 'certificateArn'] as const) requireArg(args.gpu[key], `args.gpu.${key}`);
    for (const [i, group] of (args.gpu.autoScalingGroupNames ?? []).entries()) requireArg(group, `args.gpu.autoScalingGroupNames[${i}]`);
  }
  if (args.config.engine === 'triton' && !args.gpu) throw new Error('Observability: args.gpu is required with engine triton (the Triton fleet needs its alarms)');
}

/** The threshold of the p95 duration alarm, ms: 80 % of the function timeout. */
export function durationThresholdMs(lambdaTimeoutSec: number): number {
  return Math.round(lambdaTimeoutSec * 1000 * ALARM_THRESHOLDS.durationOfTimeout);
}

/** The alarm topic (KMS-encrypted), its e-mail subscription, the alarms and the dashboard. */
export class Observability extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  /** The key the topic is encrypted with, when this component created it. */
  readonly topicKey?: aws.kms.Key;
  readonly subscription?: aws.sns.TopicSubscription;
  readonly alarms: Record<string, aws.cloudwatch.MetricAlarm>;
  readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super('readscore:index:Observability', name, {}, opts);
    validateObservabilityArgs(name, args);
    const { config, tags } = args;
    const child = { parent: this };

    let kmsMasterKeyId: pulumi.Input<string>;
    if (args.kmsKeyArn) {
      kmsMasterKeyId = args.kmsKeyArn;
    } else {
      const identity = aws.getCallerIdentityOutput({}, child);
      const partition = aws.getPartitionOutput({}, child);
      this.topicKey = new aws.kms.Key(
        `${name}-topic-key`,
        {
          description: `${resourceName(config, 'alarms')}: encrypts the alarm topic; CloudWatch may use it to publish`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi.jsonStringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'AccountAdministers',
                Effect: 'Allow',
                Principal: { AWS: pulumi.interpolate`arn:${partition.partition}:iam::${identity.accountId}:root` },
                Action: 'kms:*',
                Resource: '*',
              },
              {
                Sid: 'CloudWatchAlarmsPublish',
                Effect: 'Allow',
                Principal: { Service: 'cloudwatch.amazonaws.com' },
                Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
                Resource: '*',
              },
            ],
          }),
          tags,
        },
        child,
      );
      new aws.kms.Alias(`${name}-topic-key-alias`, { name: `alias/${resourceName(config, 'alarms')}`, targetKeyId: this.topicKey.keyId }, child);
      kmsMasterKeyId = this.topicKey.arn;
    }
    this.topic = new aws.sns.Topic(`${name}-alarms`, { name: resourceName(config, 'alarms'), kmsMasterKeyId, tags }, child);
    if (config.alarmEmail) {
      this.subscription = new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: this.topic.arn, protocol: 'email', endpoint: config.alarmEmail }, child);
    }

    const specs = alarmSpecs(args);
    this.alarms = Object.fromEntries(
      Object.entries(specs).map(([key, spec]) => [
        key,
        new aws.cloudwatch.MetricAlarm(
          `${name}-${spec.part}`,
          {
            name: resourceName(config, spec.part),
            alarmDescription: `${spec.description} Runbook: ${runbookUrl(config, spec.runbook)}`,
            comparisonOperator: spec.comparison,
            threshold: spec.threshold,
            evaluationPeriods: spec.evaluationPeriods,
            ...(spec.datapointsToAlarm ? { datapointsToAlarm: spec.datapointsToAlarm } : {}),
            treatMissingData: spec.treatMissingData,
            ...(spec.metric
              ? {
                  namespace: spec.metric.namespace,
                  metricName: spec.metric.name,
                  dimensions: spec.metric.dimensions,
                  period: spec.metric.period,
                  ...(spec.metric.statistic ? { statistic: spec.metric.statistic } : {}),
                  ...(spec.metric.extendedStatistic ? { extendedStatistic: spec.metric.extendedStatistic, evaluateLowSampleCountPercentiles: 'evaluate' } : {}),
                }
              : { metricQueries: spec.queries ?? [] }),
            actionsEnabled: true,
            alarmActions: [this.topic.arn],
            okActions: [this.topic.arn],
            tags,
          },
          child,
        ),
      ]),
    );

    const region = aws.getRegionOutput({}, child).region;
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      { dashboardName: resourceName(config, 'overview'), dashboardBody: dashboardBody(dashboardWidgets(args), region) },
      child,
    );

    this.registerOutputs({
      topicArn: this.topic.arn,
      dashboardName: this.dashboard.dashboardName,
      alarmNames: Object.fromEntries(Object.entries(this.alarms).map(([k, a]) => [k, a.name])),
    });
  }
}

const RUNBOOK = {
  backlog: 'docs/runbooks/queue-backlog.md',
  dlq: 'docs/runbooks/dlq-redrive.md',
  triton: 'docs/runbooks/triton-unhealthy.md',
  cert: 'docs/runbooks/cert-rotation-failure.md',
} as const;

/** A runbook's address: on GitHub when readscore:githubRepository names the repository, else its path. */
export function runbookUrl(config: Pick<StackConfig, 'githubRepository' | 'githubBranch'>, path: string): string {
  return config.githubRepository ? `https://github.com/${config.githubRepository}/blob/${config.githubBranch}/${path}` : path;
}

/** Every ReadScore `Failed` count, whatever its `Reason` (Metrics Insights: alarms cannot use SEARCH). */
const JOBS_FAILED_QUERY = `SELECT SUM(Failed) FROM SCHEMA("ReadScore/Jobs", Reason, service) WHERE service = '${APP_DIMENSIONS.service}'`;

function alarmSpecs(args: ObservabilityArgs): Record<string, AlarmSpec> {
  const { config, gpu } = args;
  const dlqName = args.queue.deadLetterQueue.name;
  const queueName = args.queue.queue.name;
  const scoring = { FunctionName: args.scoringFunctionName };
  const t = ALARM_THRESHOLDS;
  const specs: Record<string, AlarmSpec> = {
    // An idle, empty queue publishes no datapoints: no data is "nothing waiting", never an alarm.
    dlqDepth: {
      part: 'dlq-depth',
      description: 'Messages in the scoring DLQ: requests failed every retry (poison messages or persistent failures).',
      runbook: RUNBOOK.dlq,
      metric: { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: dlqName }, period: 60, statistic: 'Maximum' },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    },
    queueBacklog: {
      part: 'queue-backlog',
      description: `More than ${t.queueBacklogMessages} scoring requests waiting for 3 minutes.`,
      runbook: RUNBOOK.backlog,
      metric: { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queueName }, period: 60, statistic: 'Maximum' },
      comparison: 'GreaterThanThreshold',
      threshold: t.queueBacklogMessages,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'notBreaching',
    },
    oldestMessage: {
      part: 'oldest-message',
      description: `The oldest scoring request has waited more than ${t.oldestMessageSec} s.`,
      runbook: RUNBOOK.backlog,
      metric: { namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: queueName }, period: 60, statistic: 'Maximum' },
      comparison: 'GreaterThanThreshold',
      threshold: t.oldestMessageSec,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    },
    // Lambda publishes nothing for a function that is not invoked: no data is "no errors".
    // Errors counts invocations that threw, timed out or crashed; a record that failed inside a
    // successful batch response counts in ReadScore/Jobs Failed (jobsFailed) instead.
    lambdaErrors: {
      part: 'scoring-errors',
      description: `The scoring Lambda failed more than ${t.lambdaErrorsPerPeriod} invocations in each of 2 five-minute periods.`,
      runbook: RUNBOOK.backlog,
      metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: scoring, period: 300, statistic: 'Sum' },
      comparison: 'GreaterThanThreshold',
      threshold: t.lambdaErrorsPerPeriod,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    },
    lambdaThrottles: {
      part: 'scoring-throttles',
      description: 'The scoring Lambda is throttled in 2 of 3 five-minute periods (reserved concurrency or the account limit).',
      runbook: RUNBOOK.backlog,
      metric: { namespace: 'AWS/Lambda', name: 'Throttles', dimensions: scoring, period: 300, statistic: 'Sum' },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    },
    lambdaP95Duration: {
      part: 'scoring-p95-duration',
      description: `Scoring Lambda p95 duration is above ${Math.round(t.durationOfTimeout * 100)} % of its ${config.lambdaTimeoutSec} s timeout in 2 of 3 five-minute periods.`,
      runbook: RUNBOOK.backlog,
      metric: { namespace: 'AWS/Lambda', name: 'Duration', dimensions: scoring, period: 300, extendedStatistic: 'p95' },
      comparison: 'GreaterThanThreshold',
      threshold: durationThresholdMs(config.lambdaTimeoutSec),
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    },
    // The enqueuer runs once per schedule tick: one failed invocation is a day's activities not queued.
    enqueuerErrors: {
      part: 'enqueuer-errors',
      description: 'The scheduled enqueuer failed: the window’s activities may not have been queued.',
      runbook: RUNBOOK.backlog,
      metric: { namespace: 'AWS/Lambda', name: 'Errors', dimensions: { FunctionName: args.enqueuerFunctionName }, period: 300, statistic: 'Sum' },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    },
    // Failed is published with a Reason dimension only when a job fails: no data is "none failed".
    jobsFailed: {
      part: 'jobs-failed',
      description: `At least ${t.jobsFailedPer5Min} scoring jobs failed (any Reason) in each of 2 five-minute periods.`,
      runbook: RUNBOOK.backlog,
      queries: [{ id: 'failed', expression: JOBS_FAILED_QUERY, period: 300, label: 'ReadScore/Jobs Failed (all reasons)', returnData: true }],
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: t.jobsFailedPer5Min,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    },
  };
  if (!gpu) return specs;

  const lb = { LoadBalancer: gpu.albArnSuffix };
  const target = { LoadBalancer: gpu.albArnSuffix, TargetGroup: gpu.targetGroupArnSuffix };
  Object.assign(specs, {
    // The ALB publishes 5XX counts only when there are some.
    alb5xx: {
      part: 'triton-5xx',
      description: 'The Triton ALB or its targets answered 5XX (HTTPCode_ELB_5XX_Count + HTTPCode_Target_5XX_Count) in 2 of 3 minutes.',
      runbook: RUNBOOK.triton,
      queries: [
        { id: 'elb', metric: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_ELB_5XX_Count', dimensions: lb, period: 60, stat: 'Sum' }, returnData: false },
        { id: 'target', metric: { namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', dimensions: target, period: 60, stat: 'Sum' }, returnData: false },
        { id: 'total', expression: 'FILL(elb, 0) + FILL(target, 0)', label: 'Triton 5XX (ELB + target)', returnData: true },
      ],
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    },
    // Host counts are published every minute while the target group is attached: a gap means the
    // ALB is not reporting, so it counts as unhealthy.
    unhealthyHosts: {
      part: 'triton-unhealthy-hosts',
      description: 'A Triton target failed its TLS health check for 2 minutes.',
      runbook: RUNBOOK.triton,
      metric: { namespace: 'AWS/ApplicationELB', name: 'UnHealthyHostCount', dimensions: target, period: 60, statistic: 'Maximum' },
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: 'breaching',
    },
    noHealthyHosts: {
      part: 'triton-no-healthy-hosts',
      description: 'No healthy Triton target for 2 minutes: GPU scoring is down (the Lambda falls back to CPU only if READSCORE_TRITON_FALLBACK_CPU).',
      runbook: RUNBOOK.triton,
      metric: { namespace: 'AWS/ApplicationELB', name: 'HealthyHostCount', dimensions: target, period: 60, statistic: 'Minimum' },
      comparison: 'LessThanThreshold',
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: 'breaching',
    },
    // No requests, no latency datapoints: an idle fleet is not slow.
    tritonP95Latency: {
      part: 'triton-p95-latency',
      description: `Triton p95 request latency (ALB TargetResponseTime) above ${t.tritonP95LatencySec * 1000} ms in 2 of 3 minutes.`,
      runbook: RUNBOOK.triton,
      metric: { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: target, period: 60, extendedStatistic: 'p95' },
      comparison: 'GreaterThanThreshold',
      threshold: t.tritonP95LatencySec,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    },
    // ACM publishes DaysToExpiry once a day; a new certificate has none for up to a day, so a gap
    // keeps the last state instead of paging on every rotation.
    certificateExpiry: {
      part: 'certificate-expiry',
      description: `The Triton ALB certificate expires in less than ${t.certificateDaysToExpiry} days: rotation (readscore:certEarlyRenewalDays = ${config.certEarlyRenewalDays}) has not happened.`,
      runbook: RUNBOOK.cert,
      metric: { namespace: 'AWS/CertificateManager', name: 'DaysToExpiry', dimensions: { CertificateArn: gpu.certificateArn }, period: 86_400, statistic: 'Minimum' },
      comparison: 'LessThanThreshold',
      threshold: t.certificateDaysToExpiry,
      evaluationPeriods: 1,
      treatMissingData: 'missing',
    },
  } satisfies Record<string, AlarmSpec>);

  const groups = gpu.autoScalingGroupNames ?? [];
  if (groups.length) {
    // One series per group (the agent's AutoScalingGroupName aggregate), combined per period.
    const perGroup = (combine: 'MAX' | 'AVG', label: string): pulumi.Input<aws.types.input.cloudwatch.MetricAlarmMetricQuery>[] => [
      ...groups.map((group, i) => ({
        id: `g${i}`,
        metric: { namespace: GPU_AGENT_METRICS.namespace, metricName: GPU_AGENT_METRICS.utilisation, dimensions: { AutoScalingGroupName: group }, period: 300, stat: 'Average' },
        returnData: false,
      })),
      { id: 'gpu', expression: `${combine}([${groups.map((_, i) => `g${i}`).join(', ')}])`, label, returnData: true },
    ];
    Object.assign(specs, {
      // No GPU hosts report nothing: neither saturated nor idle.
      gpuUtilisationHigh: {
        part: 'gpu-utilisation-high',
        description: `GPU utilisation (CloudWatch agent ${GPU_AGENT_METRICS.utilisation}) of a GPU group above ${t.gpuUtilisationHighPercent} % for 10 minutes: the fleet is saturated.`,
        runbook: RUNBOOK.triton,
        queries: perGroup('MAX', 'GPU utilisation, busiest group (%)'),
        comparison: 'GreaterThanThreshold',
        threshold: t.gpuUtilisationHighPercent,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: 'notBreaching',
      },
      gpuUtilisationLow: {
        part: 'gpu-utilisation-low',
        description: `Average GPU utilisation below ${t.gpuUtilisationLowPercent} % for an hour: paying for idle GPUs (check readscore:onDemandBase and scaling).`,
        runbook: RUNBOOK.triton,
        queries: perGroup('AVG', 'GPU utilisation, average of groups (%)'),
        comparison: 'LessThanThreshold',
        threshold: t.gpuUtilisationLowPercent,
        evaluationPeriods: 12,
        datapointsToAlarm: 12,
        treatMissingData: 'notBreaching',
      },
    } satisfies Record<string, AlarmSpec>);
  }
  return specs;
}

const app = (namespace: string, name: string, extra: Partial<MetricRef> = {}): MetricRef => ({ namespace: `ReadScore/${namespace}`, name, dimensions: APP_DIMENSIONS, ...extra });
const search = (namespace: string, dimension: string, name: string, stat: string, label: string): SeriesRef => ({
  expression: `SEARCH('{ReadScore/${namespace},${dimension},service} MetricName="${name}" service="${APP_DIMENSIONS.service}"', '${stat}', 300)`,
  // One line per Reason, labelled with it.
  label: `${label} \${PROP('Dim.${dimension}')}`,
});

function dashboardWidgets(args: ObservabilityArgs): Widget[] {
  const { config, gpu } = args;
  const scoring = { FunctionName: args.scoringFunctionName };
  const enqueuer = { FunctionName: args.enqueuerFunctionName };
  const lambda = (name: string, dimensions: MetricRef['dimensions'], extra: Partial<MetricRef> = {}): MetricRef => ({ namespace: 'AWS/Lambda', name, dimensions, ...extra });
  const sqs = (name: string, queue: aws.sqs.Queue, label: string): MetricRef => ({ namespace: 'AWS/SQS', name, dimensions: { QueueName: queue.name }, label });
  const widgets: Widget[] = [
    textWidget(
      `# ReadScore ${config.environment}\nEngine **${config.engine}**. Runbooks: ` +
        Object.entries(gpu ? RUNBOOK : { backlog: RUNBOOK.backlog, dlq: RUNBOOK.dlq })
          .map(([, path]) => `[${path.replace(/^.*\/|\.md$/g, '')}](${runbookUrl(config, path)})`)
          .join(', '),
    ),
    textWidget('## Lambda', { h: 1 }),
    metricWidget({
      title: 'Scoring invocations, errors, throttles',
      stat: 'Sum',
      metrics: [lambda('Invocations', scoring, { label: 'invocations' }), lambda('Errors', scoring, { label: 'errors' }), lambda('Throttles', scoring, { label: 'throttles' })],
    }),
    metricWidget({
      title: 'Scoring duration (ms)',
      metrics: [lambda('Duration', scoring, { stat: 'p50', label: 'p50' }), lambda('Duration', scoring, { stat: 'p95', label: 'p95' })],
      annotations: [
        { value: durationThresholdMs(config.lambdaTimeoutSec), label: 'alarm (80 % of timeout)' },
        { value: config.lambdaTimeoutSec * 1000, label: 'timeout' },
      ],
    }),
    metricWidget({
      title: 'Scoring concurrency',
      stat: 'Maximum',
      metrics: [lambda('ConcurrentExecutions', scoring, { label: 'concurrent executions' })],
      annotations: [{ value: config.reservedConcurrency, label: 'reserved concurrency' }],
    }),
    metricWidget({
      title: 'Enqueuer invocations and errors',
      stat: 'Sum',
      metrics: [
        lambda('Invocations', enqueuer, { label: 'invocations' }),
        lambda('Errors', enqueuer, { label: 'errors' }),
        lambda('Duration', enqueuer, { stat: 'Maximum', label: 'max duration (ms)' }),
      ],
    }),
    textWidget('## Queue', { h: 1 }),
    metricWidget({
      title: 'Scoring queue depth',
      stat: 'Maximum',
      period: 60,
      metrics: [sqs('ApproximateNumberOfMessagesVisible', args.queue.queue, 'waiting'), sqs('ApproximateNumberOfMessagesNotVisible', args.queue.queue, 'in flight')],
      annotations: [{ value: ALARM_THRESHOLDS.queueBacklogMessages, label: 'backlog alarm' }],
    }),
    metricWidget({
      title: 'Age of oldest request (s)',
      stat: 'Maximum',
      period: 60,
      metrics: [sqs('ApproximateAgeOfOldestMessage', args.queue.queue, 'oldest')],
      annotations: [{ value: ALARM_THRESHOLDS.oldestMessageSec, label: 'alarm' }],
    }),
    metricWidget({
      title: 'Dead-letter queue',
      stat: 'Maximum',
      period: 60,
      metrics: [
        sqs('ApproximateNumberOfMessagesVisible', args.queue.deadLetterQueue, 'in DLQ'),
        { ...sqs('NumberOfMessagesSent', args.queue.deadLetterQueue, 'dead-lettered'), stat: 'Sum' },
      ],
    }),
    textWidget('## Jobs and activities (ReadScore/Jobs, ReadScore/Activity)', { h: 1 }),
    metricWidget({
      title: 'Jobs completed and failed',
      stat: 'Sum',
      metrics: [app('Jobs', 'Completed', { label: 'completed' }), search('Jobs', 'Reason', 'Failed', 'Sum', 'failed'), app('Jobs', 'ColdStart', { label: 'cold starts' })],
    }),
    metricWidget({
      title: 'Activity time (ms)',
      metrics: [app('Activity', 'TotalMs', { stat: 'p50', label: 'p50' }), app('Activity', 'TotalMs', { stat: 'p95', label: 'p95' })],
    }),
    metricWidget({
      title: 'Phrases, successes, unscored phrases',
      stat: 'Sum',
      metrics: [
        app('Activity', 'Phrases', { label: 'phrases' }),
        app('Activity', 'Success', { label: 'scored activities' }),
        search('Activity', 'Reason', 'UnscoredPhrases', 'Sum', 'unscored'),
      ],
    }),
    textWidget('## Inference and alignment (ReadScore/Inference, ReadScore/Alignment, ReadScore/Decoder)', { h: 1 }),
    metricWidget({
      title: 'Inference stages p95 (ms)',
      stat: 'p95',
      metrics: [
        app('Inference', 'ReadMs', { label: 'read' }),
        app('Inference', 'PreprocessMs', { label: 'preprocess' }),
        app('Inference', 'ModelMs', { label: 'model' }),
        app('Inference', 'DecodeMs', { label: 'decode' }),
        app('Alignment', 'AlignMs', { label: 'align' }),
      ],
    }),
    metricWidget({
      title: 'Alignment items and errors',
      stat: 'Sum',
      metrics: [
        app('Alignment', 'Items', { label: 'items' }),
        app('Alignment', 'Errors', { label: 'errors' }),
        app('Decoder', 'ParseFailures', { label: 'decoder parse failures' }),
      ],
    }),
    metricWidget({
      title: 'Alignment accuracy (%)',
      metrics: [app('Alignment', 'Accuracy', { label: 'mean accuracy' }), app('Inference', 'EngineFallbacks', { stat: 'Sum', label: 'Triton→CPU fallbacks' })],
      yAxisMin: 0,
    }),
  ];
  if (!gpu) return widgets;

  const lb = { LoadBalancer: gpu.albArnSuffix };
  const target = { LoadBalancer: gpu.albArnSuffix, TargetGroup: gpu.targetGroupArnSuffix };
  const alb = (name: string, dimensions: MetricRef['dimensions'], extra: Partial<MetricRef> = {}): MetricRef => ({ namespace: 'AWS/ApplicationELB', name, dimensions, ...extra });
  const service = { ClusterName: gpu.clusterName, ServiceName: gpu.serviceName };
  widgets.push(
    textWidget('## Triton (ALB, ECS, GPU)', { h: 1 }),
    metricWidget({
      title: 'Triton requests and 5XX',
      stat: 'Sum',
      period: 60,
      metrics: [
        alb('RequestCount', target, { label: 'requests' }),
        alb('RequestCountPerTarget', { TargetGroup: gpu.targetGroupArnSuffix }, { label: 'requests per target' }),
        alb('HTTPCode_ELB_5XX_Count', lb, { label: 'ELB 5XX' }),
        alb('HTTPCode_Target_5XX_Count', target, { label: 'target 5XX' }),
      ],
    }),
    metricWidget({
      title: 'Triton latency (s)',
      period: 60,
      metrics: [alb('TargetResponseTime', target, { stat: 'p50', label: 'p50' }), alb('TargetResponseTime', target, { stat: 'p95', label: 'p95' })],
      annotations: [{ value: ALARM_THRESHOLDS.tritonP95LatencySec, label: 'p95 alarm' }],
    }),
    metricWidget({
      title: 'Triton targets',
      stat: 'Minimum',
      period: 60,
      metrics: [alb('HealthyHostCount', target, { label: 'healthy' }), alb('UnHealthyHostCount', target, { stat: 'Maximum', label: 'unhealthy' })],
    }),
    metricWidget({
      title: 'Triton ECS service',
      metrics: [
        { namespace: 'AWS/ECS', name: 'CPUUtilization', dimensions: service, label: 'CPU %' },
        { namespace: 'AWS/ECS', name: 'MemoryUtilization', dimensions: service, label: 'memory %' },
        { namespace: 'ECS/ContainerInsights', name: 'RunningTaskCount', dimensions: service, stat: 'Maximum', label: 'running tasks (Container Insights)' },
      ],
    }),
    metricWidget({
      title: 'Certificate days to expiry',
      stat: 'Minimum',
      period: 86_400,
      metrics: [{ namespace: 'AWS/CertificateManager', name: 'DaysToExpiry', dimensions: { CertificateArn: gpu.certificateArn }, label: 'days' }],
      annotations: [{ value: ALARM_THRESHOLDS.certificateDaysToExpiry, label: 'alarm' }],
    }),
  );
  const groups = gpu.autoScalingGroupNames ?? [];
  if (groups.length) {
    const gpuMetric = (name: string, label: string) =>
      groups.map((group, i): MetricRef => ({ namespace: GPU_AGENT_METRICS.namespace, name, dimensions: { AutoScalingGroupName: group }, label: `${label} (group ${i + 1})` }));
    widgets.push(
      metricWidget({
        title: 'GPU utilisation (%)',
        period: 60,
        metrics: [...gpuMetric(GPU_AGENT_METRICS.utilisation, 'GPU'), ...gpuMetric(GPU_AGENT_METRICS.memoryUtilisation, 'GPU memory')],
        annotations: [
          { value: ALARM_THRESHOLDS.gpuUtilisationHighPercent, label: 'high' },
          { value: ALARM_THRESHOLDS.gpuUtilisationLowPercent, label: 'idle' },
        ],
        yAxisMin: 0,
      }),
    );
  }
  return widgets;
}
