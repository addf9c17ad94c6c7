/**
 * Cost and tagging: every taggable resource carries the project, environment, owner and cost-center
 * tags (infra/tags.ts). Advisory by default; the prod pack config (policies/config/prod.json) makes
 * it mandatory and pins the `environment` tag value.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { REQUIRED_TAGS } from '../infra/tags';
import { label } from './validation';
import { asRecord, parseJson, stringEntries } from './values';

/** Taggable resource types the stack uses (any other aws:* resource that passes `tags` is checked too). */
export const TAGGABLE_TYPES: readonly string[] = [
  'aws:lb/listener:Listener',
  'aws:alb/listener:Listener',
  'aws:lb/targetGroup:TargetGroup',
  'aws:alb/targetGroup:TargetGroup',
  'aws:lb/loadBalancer:LoadBalancer',
  'aws:alb/loadBalancer:LoadBalancer',
  'aws:ec2/securityGroup:SecurityGroup',
  'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  'aws:ec2/launchTemplate:LaunchTemplate',
  'aws:autoscaling/group:Group',
  'aws:ec2/vpc:Vpc',
  'aws:ec2/subnet:Subnet',
  'aws:ec2/routeTable:RouteTable',
  'aws:ec2/vpcEndpoint:VpcEndpoint',
  'aws:s3/bucketV2:BucketV2',
  'aws:s3/bucket:Bucket',
  'aws:sqs/queue:Queue',
  'aws:lambda/function:Function',
  'aws:cloudwatch/logGroup:LogGroup',
  'aws:cloudwatch/metricAlarm:MetricAlarm',
  'aws:cloudwatch/eventRule:EventRule',
  'aws:sns/topic:Topic',
  'aws:ecs/cluster:Cluster',
  'aws:ecs/service:Service',
  'aws:ecs/taskDefinition:TaskDefinition',
  'aws:ecs/capacityProvider:CapacityProvider',
  'aws:ecr/repository:Repository',
  'aws:iam/role:Role',
  'aws:iam/policy:Policy',
  'aws:kms/key:Key',
  'aws:secretsmanager/secret:Secret',
  'aws:acm/certificate:Certificate',
  'aws:athena/workgroup:Workgroup',
  'aws:appautoscaling/target:Target',
  'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup',
  'aws:ec2/eip:Eip',
  'aws:ec2/flowLog:FlowLog',
  'aws:ec2/internetGateway:InternetGateway',
  'aws:ec2/natGateway:NatGateway',
  'aws:iam/instanceProfile:InstanceProfile',
  'aws:iam/openIdConnectProvider:OpenIdConnectProvider',
  'aws:lambda/eventSourceMapping:EventSourceMapping',
  'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
];

/** Configuration of {@link requiredTags} (the `required-tags` entry of a pack config file). */
export interface RequiredTagsConfig {
  /** The value the `environment` tag must have (the stack's environment). */
  readonly environment?: string;
}

/** A `tags` input as entries: a `{ key: value }` map, or the Auto Scaling list of `{ key, value }`. */
function tagEntries(tags: unknown): [string, string][] {
  if (!Array.isArray(tags)) return stringEntries(tags);
  return tags.map(asRecord).flatMap((t) => (typeof t?.key === 'string' && typeof t.value === 'string' ? [[t.key, t.value] as [string, string]] : []));
}

/** The tags that apply to a resource: its own and its provider's defaultTags. */
function effectiveTags(props: Record<string, unknown>, providerProps: Record<string, unknown> | undefined): Record<string, string> {
  const defaults = asRecord(asRecord(parseJson(providerProps?.defaultTags))?.tags);
  return Object.fromEntries([...stringEntries(defaults), ...tagEntries(props.tags)]);
}

/** Every taggable resource carries the cost-allocation tags. */
export const requiredTags: ResourceValidationPolicy = {
  name: 'required-tags',
  description: `Every taggable AWS resource must carry the tags ${REQUIRED_TAGS.join(', ')} (pass stackTags(config) as tags).`,
  enforcementLevel: 'advisory',
  configSchema: { properties: { environment: { type: 'string', description: 'The value the environment tag must have.' } } },
  validateResource: (args, report) => {
    const props = args.props as Record<string, unknown>;
    if (!TAGGABLE_TYPES.includes(args.type) && !(args.type.startsWith('aws:') && 'tags' in props)) {
      return args.notApplicable('Policy only applies to taggable AWS resources');
    }
    const tags = effectiveTags(props, args.provider?.props as Record<string, unknown> | undefined);
    const missing = REQUIRED_TAGS.filter((t) => !tags[t]);
    if (missing.length) report(`${label(args)} lacks the tags ${missing.join(', ')}: pass tags: stackTags(config) (infra/tags.ts).`);
    const { environment } = args.getConfig<RequiredTagsConfig>();
    if (environment && tags.environment && tags.environment !== environment) {
      report(`${label(args)} has tag environment "${tags.environment}" in the ${environment} stack: pass tags: stackTags(config) for this stack.`);
    }
  },
};

/** The cost and tagging policies. */
export const taggingPolicies: ResourceValidationPolicy[] = [requiredTags];
