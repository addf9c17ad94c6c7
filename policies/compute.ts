/**
 * Compute policies: Lambdas have reserved concurrency and a log group with retention, SQS event
 * source mappings report batch item failures, and GPU ECS services mix Spot with on-demand capacity.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import { awsName, identifiers, label, refersTo, resourcesOf, validateTokens } from './validation';
import { asArray, asNumber, asRecord, asString, parseJson } from './values';

/** Lambdas reserve their concurrency, so a backlog cannot starve the account or the downstream APIs. */
export const lambdaReservedConcurrency: ResourceValidationPolicy = {
  name: 'lambda-reserved-concurrency',
  description: 'Every Lambda function must set reservedConcurrentExecutions to 1 or more.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('lambdaFunction', (props, args, report) => {
    const reserved = asNumber(props.reservedConcurrentExecutions);
    if (reserved !== undefined && reserved >= 1) return;
    report(
      `${label(args)} has reservedConcurrentExecutions ${reserved ?? 'unset'}: set it to the function's share of account concurrency (readscore:reservedConcurrency for the scorer).`,
    );
  }),
};

/** The log group a function writes to: its loggingConfig.logGroup, else /aws/lambda/<name>. */
export function logGroupNameOf(fn: PolicyResource): string {
  return asString(asRecord(fn.props.loggingConfig)?.logGroup) ?? `/aws/lambda/${awsName(fn)}`;
}

/** Lambdas log to a log group the stack declares with a retention (Lambda's own group never expires). */
export const lambdaLogGroup: StackValidationPolicy = {
  name: 'lambda-log-group',
  description: 'Every Lambda function must have its log group declared in the stack with retentionInDays set.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const groups = resourcesOf(args.resources, 'logGroup');
    for (const fn of resourcesOf(args.resources, 'lambdaFunction')) {
      const name = logGroupNameOf(fn);
      const group = groups.find((g) => awsName(g) === name || identifiers(g).includes(name));
      if (!group) {
        report(
          `${label(fn)} logs to ${name}, which the stack does not declare: add an aws.cloudwatch.LogGroup named "${name}" with retentionInDays (or set loggingConfig.logGroup to one).`,
          fn.urn,
        );
      } else if (!(asNumber(group.props.retentionInDays) ?? 0)) {
        report(`${label(fn)} logs to ${label(group)}, which keeps logs forever: set retentionInDays on it.`, fn.urn);
      }
    }
  },
};

/** SQS-triggered Lambdas report partial batch failures, so one bad message does not retry the batch. */
export const eventSourceMappingBatchFailures: ResourceValidationPolicy = {
  name: 'event-source-mapping-batch-failures',
  description: 'SQS event source mappings must set functionResponseTypes ["ReportBatchItemFailures"].',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('eventSourceMapping', (props, args, report) => {
    const source = asString(props.eventSourceArn);
    if (!source?.startsWith('arn:aws:sqs:') && !source?.includes(':sqs:')) return;
    if (asArray(props.functionResponseTypes).includes('ReportBatchItemFailures')) return;
    report(`${label(args)} (source ${source}) retries whole batches: set functionResponseTypes ["ReportBatchItemFailures"] and return batchItemFailures from the handler.`);
  }),
};

/** What kind of capacity a strategy item provides. */
interface Capacity {
  readonly provider: string;
  readonly spot: boolean;
  readonly onDemand: boolean;
}

/** The candidate `ref` names: by id, ARN or name (an ARN's last path segment counts as the name). */
function findByRef(candidates: readonly PolicyResource[], ref: unknown): PolicyResource | undefined {
  const value = asString(ref);
  if (!value) return undefined;
  return candidates.find((c) => identifiers(c).includes(value) || awsName(c) === value || value.split('/').pop() === awsName(c));
}

/** Spot and on-demand capacity of an Auto Scaling group (mixed instances policy or launch template market). */
function groupCapacity(resources: readonly PolicyResource[], group: PolicyResource): { spot: boolean; onDemand: boolean } {
  const mixed = asRecord(group.props.mixedInstancesPolicy);
  if (mixed) {
    const dist = asRecord(mixed.instancesDistribution);
    const base = asNumber(dist?.onDemandBaseCapacity) ?? 0;
    const above = asNumber(dist?.onDemandPercentageAboveBaseCapacity) ?? 100;
    return { spot: above < 100, onDemand: base > 0 || above > 0 };
  }
  const templateRef = asRecord(group.props.launchTemplate);
  const template = findByRef(resourcesOf(resources, 'launchTemplate'), templateRef?.id ?? templateRef?.name);
  const spot = asString(asRecord(template?.props.instanceMarketOptions)?.marketType) === 'spot';
  return { spot, onDemand: !spot };
}

function capacityOf(resources: readonly PolicyResource[], strategy: unknown): Capacity {
  const provider = asString(asRecord(strategy)?.capacityProvider) ?? '?';
  if (provider === 'FARGATE') return { provider, spot: false, onDemand: true };
  if (provider === 'FARGATE_SPOT') return { provider, spot: true, onDemand: false };
  const cp = findByRef(resourcesOf(resources, 'ecsCapacityProvider'), provider);
  const groupArn = asRecord(cp?.props.autoScalingGroupProvider)?.autoScalingGroupArn;
  const group = findByRef(resourcesOf(resources, 'autoScalingGroup'), groupArn);
  if (group) return { provider, ...groupCapacity(resources, group) };
  const spot = /spot/i.test(provider);
  return { provider, spot, onDemand: !spot };
}

/** Whether a task definition asks for a GPU (a container with a GPU resource requirement). */
export function requestsGpu(taskDefinition: PolicyResource | undefined): boolean {
  const containers = asArray(parseJson(taskDefinition?.props.containerDefinitions));
  return containers.some((c) => asArray(asRecord(c)?.resourceRequirements).some((r) => asRecord(r)?.type === 'GPU'));
}

function strategiesOf(resources: readonly PolicyResource[], service: PolicyResource): unknown[] {
  const own = asArray(service.props.capacityProviderStrategies);
  if (own.length || service.props.launchType) return own;
  const cluster = resourcesOf(resources, 'ecsClusterCapacityProviders').find((c) => {
    const name = asString(c.props.clusterName);
    const ref = asString(service.props.cluster);
    return name !== undefined && ref !== undefined && (ref === name || ref.endsWith(`/${name}`));
  });
  return asArray(cluster?.props.defaultCapacityProviderStrategies);
}

/** GPU services run on a base of on-demand capacity plus Spot, so a Spot reclaim never takes scoring to zero. */
export const ecsGpuCapacityMix: StackValidationPolicy = {
  name: 'ecs-gpu-capacity-mix',
  description: 'ECS services whose tasks request a GPU must use a capacity provider strategy with both Spot and on-demand capacity.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => {
    const taskDefinitions = resourcesOf(args.resources, 'ecsTaskDefinition');
    for (const service of resourcesOf(args.resources, 'ecsService')) {
      const taskDefinition = taskDefinitions.find(
        (t) => refersTo(service, 'taskDefinition', t) || asString(service.props.taskDefinition)?.split(':')[0] === asString(t.props.family),
      );
      if (!requestsGpu(taskDefinition) && !/gpu/i.test(service.name)) continue;
      const capacities = strategiesOf(args.resources, service).map((s) => capacityOf(args.resources, s));
      const fix =
        'use capacityProviderStrategies with an on-demand base (base ≥ 1) and Spot capacity above it (a mixed-instances Auto Scaling group, or separate on-demand and Spot capacity providers).';
      if (capacities.length === 0) {
        report(
          `${label(service)} runs GPU tasks with ${service.props.launchType ? `launchType ${String(service.props.launchType)}` : 'no capacity provider strategy'}: ${fix}`,
          service.urn,
        );
        continue;
      }
      const spot = capacities.some((c) => c.spot);
      const onDemand = capacities.some((c) => c.onDemand);
      if (spot && onDemand) continue;
      const providers = capacities.map((c) => c.provider).join(', ');
      report(`${label(service)} runs GPU tasks on ${spot ? 'Spot' : 'on-demand'} capacity only (providers: ${providers}): ${fix}`, service.urn);
    }
  },
};

/** The compute policies. */
export const computePolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  lambdaReservedConcurrency,
  lambdaLogGroup,
  eventSourceMappingBatchFailures,
  ecsGpuCapacityMix,
];
