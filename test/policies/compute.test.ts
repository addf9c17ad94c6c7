/** Compute policies: Lambda concurrency and logs, SQS batch failures, GPU capacity mix. */
import type * as aws from '@pulumi/aws';
import { ecsGpuCapacityMix, eventSourceMappingBatchFailures, lambdaLogGroup, lambdaReservedConcurrency } from '../../policies/compute';
import { checkResource, checkStack, stackResource } from './policyHarness';

const FN = 'aws:lambda/function:Function';
const scorer = {
  name: 'readscore-dev-scorer',
  role: 'arn:aws:iam::123456789012:role/scorer',
  packageType: 'Image',
  imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/readscore:dev',
  memorySize: 3008,
  timeout: 120,
  reservedConcurrentExecutions: 10,
} satisfies aws.lambda.FunctionArgs;

describe('lambda-reserved-concurrency', () => {
  it('passes a function with reserved concurrency', async () => {
    expect(await checkResource(lambdaReservedConcurrency, FN, scorer)).toEqual([]);
  });

  it('fails unset and unreserved (-1) concurrency', async () => {
    const message = (v: string) =>
      `${FN} scorer has reservedConcurrentExecutions ${v}: set it to the function's share of account concurrency (readscore:reservedConcurrency for the scorer).`;
    expect(await checkResource(lambdaReservedConcurrency, FN, { ...scorer, reservedConcurrentExecutions: undefined }, { name: 'scorer' })).toEqual([message('unset')]);
    expect(await checkResource(lambdaReservedConcurrency, FN, { ...scorer, reservedConcurrentExecutions: -1 }, { name: 'scorer' })).toEqual([message('-1')]);
  });
});

describe('lambda-log-group', () => {
  const fn = stackResource(FN, 'scorer', scorer);
  const group = (props: aws.cloudwatch.LogGroupArgs) => stackResource('aws:cloudwatch/logGroup:LogGroup', 'scorer-logs', props);

  it('passes a declared /aws/lambda/<name> group with retention, or the group loggingConfig names', async () => {
    expect(await checkStack(lambdaLogGroup, [fn, group({ name: '/aws/lambda/readscore-dev-scorer', retentionInDays: 14 })])).toEqual([]);
    const custom = stackResource(FN, 'scorer', { ...scorer, loggingConfig: { logFormat: 'JSON', logGroup: '/readscore/dev/scorer' } } satisfies aws.lambda.FunctionArgs);
    expect(await checkStack(lambdaLogGroup, [custom, group({ name: '/readscore/dev/scorer', retentionInDays: 14 })])).toEqual([]);
  });

  it('fails a function without a declared group, and one whose group never expires', async () => {
    expect(await checkStack(lambdaLogGroup, [fn])).toEqual([
      [
        fn.urn,
        `${FN} scorer logs to /aws/lambda/readscore-dev-scorer, which the stack does not declare: add an aws.cloudwatch.LogGroup named "/aws/lambda/readscore-dev-scorer" with retentionInDays (or set loggingConfig.logGroup to one).`,
      ],
    ]);
    expect((await checkStack(lambdaLogGroup, [fn, group({ name: '/aws/lambda/readscore-dev-scorer' })])).map(([, m]) => m)).toEqual([
      `${FN} scorer logs to aws:cloudwatch/logGroup:LogGroup scorer-logs, which keeps logs forever: set retentionInDays on it.`,
    ]);
  });
});

describe('event-source-mapping-batch-failures', () => {
  const ESM = 'aws:lambda/eventSourceMapping:EventSourceMapping';
  const mapping = {
    eventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:readscore-dev-scoring',
    functionName: 'readscore-dev-scorer',
    batchSize: 10,
  } satisfies aws.lambda.EventSourceMappingArgs;

  it('passes an SQS mapping reporting batch item failures, and ignores non-SQS sources', async () => {
    expect(await checkResource(eventSourceMappingBatchFailures, ESM, { ...mapping, functionResponseTypes: ['ReportBatchItemFailures'] })).toEqual([]);
    expect(await checkResource(eventSourceMappingBatchFailures, ESM, { ...mapping, eventSourceArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/x' })).toEqual([]);
  });

  it('fails an SQS mapping without it', async () => {
    expect(await checkResource(eventSourceMappingBatchFailures, ESM, mapping, { name: 'scoring' })).toEqual([
      `${ESM} scoring (source ${mapping.eventSourceArn}) retries whole batches: set functionResponseTypes ["ReportBatchItemFailures"] and return batchItemFailures from the handler.`,
    ]);
  });
});

describe('ecs-gpu-capacity-mix', () => {
  const task = stackResource('aws:ecs/taskDefinition:TaskDefinition', 'triton', {
    family: 'readscore-prod-triton',
    arn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/readscore-prod-triton:1',
    containerDefinitions: JSON.stringify([{ name: 'triton', image: 'nvcr.io/nvidia/tritonserver:24.08-py3', resourceRequirements: [{ type: 'GPU', value: '1' }] }]),
  } satisfies aws.ecs.TaskDefinitionArgs & { arn: string });
  const group = (onDemandBase: number, abovePercent: number) =>
    stackResource('aws:autoscaling/group:Group', 'gpu-asg', {
      arn: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/gpu',
      minSize: 0,
      maxSize: 4,
      mixedInstancesPolicy: {
        instancesDistribution: { onDemandBaseCapacity: onDemandBase, onDemandPercentageAboveBaseCapacity: abovePercent, spotAllocationStrategy: 'price-capacity-optimized' },
        launchTemplate: { launchTemplateSpecification: { launchTemplateId: 'lt-1' }, overrides: [{ instanceType: 'g5.xlarge' }, { instanceType: 'g6.xlarge' }] },
      },
    } satisfies aws.autoscaling.GroupArgs & { arn: string });
  const provider = stackResource('aws:ecs/capacityProvider:CapacityProvider', 'gpu', {
    name: 'readscore-prod-gpu',
    autoScalingGroupProvider: {
      autoScalingGroupArn: 'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/gpu',
      managedScaling: { status: 'ENABLED' },
    },
  } satisfies aws.ecs.CapacityProviderArgs);
  const service = (strategies: { capacityProvider: string; weight: number; base?: number }[]) =>
    stackResource('aws:ecs/service:Service', 'triton', {
      cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/readscore-prod',
      taskDefinition: task.props.arn,
      desiredCount: 1,
      capacityProviderStrategies: strategies,
    } satisfies aws.ecs.ServiceArgs);

  it('passes an on-demand base with Spot above it, in one mixed group or in two providers', async () => {
    expect(await checkStack(ecsGpuCapacityMix, [task, group(1, 0), provider, service([{ capacityProvider: 'readscore-prod-gpu', weight: 1, base: 1 }])])).toEqual([]);
    const named = service([
      { capacityProvider: 'gpu-on-demand', weight: 0, base: 1 },
      { capacityProvider: 'gpu-spot', weight: 1 },
    ]);
    expect(await checkStack(ecsGpuCapacityMix, [task, named])).toEqual([]);
  });

  it('fails Spot only and on-demand only', async () => {
    const fix =
      'use capacityProviderStrategies with an on-demand base (base ≥ 1) and Spot capacity above it (a mixed-instances Auto Scaling group, or separate on-demand and Spot capacity providers).';
    const strategy = [{ capacityProvider: 'readscore-prod-gpu', weight: 1 }];
    expect(await checkStack(ecsGpuCapacityMix, [task, group(0, 0), provider, service(strategy)])).toEqual([
      [
        'urn:pulumi:test::readscore::aws:ecs/service:Service::triton',
        `aws:ecs/service:Service triton runs GPU tasks on Spot capacity only (providers: readscore-prod-gpu): ${fix}`,
      ],
    ]);
    expect((await checkStack(ecsGpuCapacityMix, [task, group(1, 100), provider, service(strategy)])).map(([, m]) => m)).toEqual([
      `aws:ecs/service:Service triton runs GPU tasks on on-demand capacity only (providers: readscore-prod-gpu): ${fix}`,
    ]);
  });

  it('fails a GPU service without a strategy and ignores CPU services', async () => {
    const [[, message] = []] = await checkStack(ecsGpuCapacityMix, [task, service([])]);
    expect(message).toContain('aws:ecs/service:Service triton runs GPU tasks with no capacity provider strategy: use capacityProviderStrategies');
    const cpuTask = stackResource(task.type, 'triton', { ...task.props, containerDefinitions: JSON.stringify([{ name: 'triton', image: 'x' }]) });
    expect(await checkStack(ecsGpuCapacityMix, [cpuTask, service([])])).toEqual([]);
  });
});
