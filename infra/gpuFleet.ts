/**
 * The Triton fleet: an ECS cluster on GPU instances (Spot first, on-demand base and fallback) behind
 * an internal HTTPS-only ALB, Triton terminating TLS itself so the hop ALB → task is encrypted too,
 * request-count and p95-latency autoscaling, and the controller that moves the service to on-demand
 * when Spot capacity runs out (a capacity-provider strategy is a fixed split and never fails over).
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { TritonCertificates } from './certificates';
import type { StackConfig } from './config';
import { ALB_HTTPS_PORT, type Network, TRITON_GRPC_TLS_PORT } from './network';
import { resourceName, type Tags } from './tags';

/** Arguments of {@link GpuFleet}. */
export interface GpuFleetArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
  readonly network: Network;
  /** Customer KMS key for EBS volumes, log groups and the TLS secrets; omitted = AWS-managed keys. Its key policy must admit the ASG service-linked role (EBS) and CloudWatch Logs. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** S3 bucket for ALB access logs (its policy must admit the region's ELB account); omitted = no access logs. */
  readonly accessLogsBucket?: pulumi.Input<string>;
}

/** The TLS policy of the listener: TLS 1.3 with TLS 1.2 for older clients, forward-secret ciphers only. */
export const TRITON_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
/** ECS GPU-optimised Amazon Linux 2023 AMI, as AWS publishes it. */
export const ECS_GPU_AMI_PARAMETER = '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id';
/** The ALB's gRPC health check: answered once Triton's TLS gRPC endpoint is serving (see the target group). */
export const TRITON_HEALTH_CHECK_PATH = '/inference.GRPCInferenceService/ServerReady';
/** The ECS service-action events that mean tasks cannot be placed (the names AWS publishes). */
export const FALLBACK_ECS_EVENT_NAMES = ['SERVICE_TASK_PLACEMENT_FAILURE'] as const;
/** How long the service stays on on-demand before the controller tries Spot again. */
export const FALLBACK_COOL_DOWN_MINUTES = 30;
/** Where user data writes the CloudWatch agent's configuration. */
const CW_AGENT_CONFIG = '/opt/aws/amazon-cloudwatch-agent/etc/readscore-gpu.json';
/** The CloudWatch agent configuration of a GPU host: NVIDIA metrics in `CWAgent`, per Auto Scaling group. */
export const CW_AGENT_GPU_CONFIG = {
  agent: { metrics_collection_interval: 60, run_as_user: 'root' },
  metrics: {
    namespace: 'CWAgent',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the agent's own placeholders, filled in on the host
    append_dimensions: { AutoScalingGroupName: '${aws:AutoScalingGroupName}', InstanceId: '${aws:InstanceId}' },
    aggregation_dimensions: [['AutoScalingGroupName']],
    metrics_collected: { nvidia_gpu: { measurement: ['utilization_gpu', 'utilization_memory', 'memory_used', 'memory_total', 'temperature_gpu'] } },
  },
} as const;
/** The container's name in the task definition (the ALB forwards to it). */
export const TRITON_CONTAINER_NAME = 'triton';

const GPU_INSTANCE_TYPE = /^(g4dn|g4ad|g5|g5g|g6|g6e|g6f|gr6|p3|p3dn|p4d|p4de|p5|p5e|p5en|p6)\.[0-9]*[a-z]+$/;
const KMS_ARN = /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/;
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([a-z0-9._/-]+)(:[\w.-]+|@sha256:[0-9a-f]{64})?$/;

/** The model repository Triton loads, split for IAM. */
export interface ModelRepository {
  /** `s3://bucket/prefix` without a trailing slash (Triton's form). */
  readonly uri: string;
  readonly bucket: string;
  /** Key prefix ending in `/`, or `''` for the whole bucket. */
  readonly prefix: string;
}

/** Parses `readscore:modelRepositoryUri`; throws naming the key. */
export function parseModelRepositoryUri(uri: string | undefined): ModelRepository {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri ?? '');
  if (!match) throw new Error(`config.modelRepositoryUri: "${uri ?? ''}" is required with the GPU fleet and must be s3://bucket/prefix/`);
  const bucket = match[1] as string;
  const path = (match[2] ?? '').replace(/\/+$/, '');
  return { uri: path ? `s3://${bucket}/${path}` : `s3://${bucket}`, bucket, prefix: path ? `${path}/` : '' };
}

/** Checks the fleet's config up front; throws naming the first bad key. */
export function validateGpuFleetConfig(config: StackConfig): ModelRepository {
  if (config.engine !== 'triton') throw new Error(`config.engine: the GPU fleet is only for engine triton (got ${config.engine})`);
  const repository = parseModelRepositoryUri(config.modelRepositoryUri);
  if (config.gpuInstanceTypes.length === 0) throw new Error('config.gpuInstanceTypes: give at least one GPU instance type');
  const notGpu = config.gpuInstanceTypes.filter((t) => !GPU_INSTANCE_TYPE.test(t));
  if (notGpu.length) throw new Error(`config.gpuInstanceTypes: ${notGpu.join(', ')} ${notGpu.length === 1 ? 'is not a GPU instance type' : 'are not GPU instance types'}`);
  if (config.maxInstances < 1) throw new Error('config.maxInstances: must be at least 1');
  if (config.onDemandBase > config.maxInstances) throw new Error(`config.onDemandBase: ${config.onDemandBase} exceeds maxInstances (${config.maxInstances})`);
  if (config.tritonDesiredCount > config.maxInstances)
    throw new Error(`config.tritonDesiredCount: ${config.tritonDesiredCount} exceeds maxInstances (${config.maxInstances}); each task takes a whole GPU instance`);
  return repository;
}

/** A capacity-provider strategy entry as ECS takes it. */
export interface StrategyEntry {
  readonly capacityProvider: string;
  readonly weight: number;
  readonly base: number;
}

/** The steady-state strategy: `onDemandBase` tasks on on-demand, every further task on Spot. */
export function spotFirstStrategy(spot: string, onDemand: string, onDemandBase: number): StrategyEntry[] {
  return [
    { capacityProvider: spot, weight: 1, base: 0 },
    { capacityProvider: onDemand, weight: 0, base: onDemandBase },
  ];
}

/**
 * The fallback controller (Node.js 20, AWS SDK v3 from the runtime). Triggered by placement failures
 * and Spot launch failures it moves the service to on-demand; a schedule asks it every few minutes to
 * restore Spot-first once the on-demand deployment is `COOL_DOWN_MINUTES` old. Every change is an
 * UpdateService with `forceNewDeployment`, so tasks move under the service's rolling deployment
 * (min healthy 100 %) and its circuit breaker. `decide` is pure and exported for tests.
 */
export const FALLBACK_HANDLER_SOURCE = `'use strict';
// Spot -> on-demand fallback for one ECS service. Generated by infra/gpuFleet.ts; edit it there.
const { ECSClient, DescribeServicesCommand, UpdateServiceCommand } = require('@aws-sdk/client-ecs');

const env = process.env;
const ecs = new ECSClient({});
const base = Number(env.ON_DEMAND_BASE);
const coolDownMs = Number(env.COOL_DOWN_MINUTES) * 60000;
const STRATEGIES = {
  fallback: [
    { capacityProvider: env.SPOT_PROVIDER, weight: 0, base: 0 },
    { capacityProvider: env.ON_DEMAND_PROVIDER, weight: 1, base },
  ],
  restore: [
    { capacityProvider: env.SPOT_PROVIDER, weight: 1, base: 0 },
    { capacityProvider: env.ON_DEMAND_PROVIDER, weight: 0, base },
  ],
};

function log(level, message, extra) {
  console.log(JSON.stringify({ level, message, cluster: env.CLUSTER_NAME, service: env.SERVICE_NAME, ...extra }));
}

function onSpot(service) {
  const spot = (service.capacityProviderStrategy || []).find((s) => s.capacityProvider === env.SPOT_PROVIDER);
  return Boolean(spot && spot.weight > 0);
}

/** 'fallback', 'restore' or null (nothing to do) for an event and the service as ECS describes it. */
function decide(event, service, now) {
  if (event && event.action === 'restore') {
    if (onSpot(service)) return null;
    const primary = (service.deployments || []).find((d) => d.status === 'PRIMARY');
    const since = primary && primary.createdAt ? new Date(primary.createdAt).getTime() : 0;
    return now - since >= coolDownMs ? 'restore' : null;
  }
  if (event && (event.source === 'aws.ecs' || event.source === 'aws.autoscaling')) return onSpot(service) ? 'fallback' : null;
  return null;
}

exports.decide = decide;
exports.STRATEGIES = STRATEGIES;

exports.handler = async (event) => {
  const trigger = (event && (event.action || event['detail-type'])) || 'unknown';
  const described = await ecs.send(new DescribeServicesCommand({ cluster: env.CLUSTER_NAME, services: [env.SERVICE_NAME] }));
  const service = (described.services || [])[0];
  if (!service) throw new Error('service ' + env.SERVICE_NAME + ' not found in cluster ' + env.CLUSTER_NAME);
  const action = decide(event, service, Date.now());
  if (!action) {
    log('INFO', 'no strategy change', { trigger, onSpot: onSpot(service) });
    return { action: 'none' };
  }
  await ecs.send(
    new UpdateServiceCommand({ cluster: env.CLUSTER_NAME, service: env.SERVICE_NAME, capacityProviderStrategy: STRATEGIES[action], forceNewDeployment: true }),
  );
  log(action === 'fallback' ? 'WARN' : 'INFO', action === 'fallback' ? 'Spot capacity short: service moved to on-demand' : 'cool-down over: service back to Spot first', {
    trigger,
    reason: event && event.detail && (event.detail.reason || event.detail.StatusMessage),
  });
  return { action };
};
`;

/** An IAM trust policy for a service principal, limited to this account (no confused deputy). */
function trustPolicy(service: string, account: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': account } } }],
  });
}

/** The Triton fleet on ECS/EC2 GPU capacity behind an internal HTTPS ALB. */
export class GpuFleet extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly alb: aws.lb.LoadBalancer;
  readonly certificates: TritonCertificates;
  /** The only listener: HTTPS 443, TLS 1.3 policy, the imported ACM certificate. */
  readonly listener: aws.lb.Listener;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly launchTemplate: aws.ec2.LaunchTemplate;
  readonly spotGroup: aws.autoscaling.Group;
  readonly onDemandGroup: aws.autoscaling.Group;
  readonly spotProvider: aws.ecs.CapacityProvider;
  readonly onDemandProvider: aws.ecs.CapacityProvider;
  readonly clusterCapacityProviders: aws.ecs.ClusterCapacityProviders;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly service: aws.ecs.Service;
  /** ECS placement failures of this service → the fallback controller. */
  readonly fallbackRule: aws.cloudwatch.EventRule;
  /** Spot ASG launch failures → the fallback controller. */
  readonly spotLaunchFailureRule: aws.cloudwatch.EventRule;
  /** Every 5 minutes: restore Spot-first once the cool-down is over. */
  readonly restoreRule: aws.cloudwatch.EventRule;
  readonly fallbackFunction: aws.lambda.Function;
  readonly latencyAlarm: aws.cloudwatch.MetricAlarm;
  /** `https://<ALB DNS name>:443`: the scoring Lambda's `READSCORE_TRITON_URL`. */
  readonly url: pulumi.Output<string>;
  /** The CA secret the scoring Lambda verifies the ALB against (`READSCORE_TRITON_CA_SECRET`). */
  readonly caSecret: aws.secretsmanager.Secret;

  constructor(name: string, args: GpuFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything registers.
    const { config, tags, network, kmsKeyArn, accessLogsBucket } = args ?? ({} as Partial<GpuFleetArgs>);
    if (!config) throw new Error('GpuFleet: args.config is required');
    if (!tags) throw new Error('GpuFleet: args.tags is required');
    if (!network) throw new Error('GpuFleet: args.network is required');
    if (typeof kmsKeyArn === 'string' && !KMS_ARN.test(kmsKeyArn)) throw new Error(`GpuFleet: args.kmsKeyArn "${kmsKeyArn}" must be a KMS key ARN`);
    if (accessLogsBucket === '') throw new Error('GpuFleet: args.accessLogsBucket must not be empty (omit it for no access logs)');
    const repository = validateGpuFleetConfig(config);
    super('readscore:index:GpuFleet', name, {}, opts);
    const child = { parent: this };
    const prod = config.environment === 'prod';
    const named = (part: string) => ({ ...tags, Name: resourceName(config, part) });
    const partition = aws.getPartitionOutput({}, child).partition;
    const account = aws.getCallerIdentityOutput({}, child).accountId;
    const region = aws.getRegionOutput({}, child).region;
    const kms = kmsKeyArn ? { kmsKeyId: kmsKeyArn } : {};

    this.cluster = new aws.ecs.Cluster(`${name}-cluster`, { name: resourceName(config, 'triton'), settings: [{ name: 'containerInsights', value: 'enabled' }], tags }, child);

    // ---- Load balancer, certificates, listener, target group ------------------------------------
    this.alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        // ALB names are at most 32 characters.
        name: resourceName(config, 'triton').slice(0, 32).replace(/-+$/, ''),
        internal: true,
        loadBalancerType: 'application',
        subnets: network.privateSubnetIds,
        securityGroups: [network.albSecurityGroup.id],
        dropInvalidHeaderFields: true,
        desyncMitigationMode: 'strictest',
        enableHttp2: true,
        // Above the client's 50 s channel idle time, so the ALB never closes a channel under a call.
        idleTimeout: 60,
        enableDeletionProtection: prod,
        ...(accessLogsBucket ? { accessLogs: { bucket: accessLogsBucket, prefix: `triton-alb/${config.environment}`, enabled: true } } : {}),
        tags,
      },
      child,
    );
    this.certificates = new TritonCertificates(`${name}-tls`, { config, tags, hostName: this.alb.dnsName, ...(kmsKeyArn ? { kmsKeyId: kmsKeyArn } : {}) }, child);
    this.caSecret = this.certificates.caSecret;

    // Health check: the ALB's gRPC check sends an empty request and only reads the gRPC status. An empty
    // ModelReady (no model name) is answered OK with ready=false, so neither ModelReady nor ServerReady
    // can carry readiness in the status code. What makes "status 0 on the TLS port" mean "model ready"
    // is Triton's start-up order: with --model-control-mode=none and --exit-on-error=true it loads every
    // model in the repository before it opens any endpoint, and exits if one fails. Later loss of
    // readiness is caught by the container health check (/v2/health/ready, strict readiness), which
    // makes ECS replace the task. The check goes over HTTPS to the TLS port, so it also proves the TLS
    // identity loads.
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        port: TRITON_GRPC_TLS_PORT,
        protocol: 'HTTPS',
        protocolVersion: 'GRPC',
        // awsvpc tasks register by ENI address.
        targetType: 'ip',
        vpcId: network.vpc.id,
        // Inside the Spot two-minute warning, and well above the client's 10 s call deadline.
        deregistrationDelay: 60,
        healthCheck: {
          enabled: true,
          protocol: 'HTTPS',
          port: 'traffic-port',
          path: TRITON_HEALTH_CHECK_PATH,
          matcher: '0',
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 2,
        },
        tags,
      },
      child,
    );
    this.listener = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: this.alb.arn,
        port: ALB_HTTPS_PORT,
        protocol: 'HTTPS',
        sslPolicy: TRITON_SSL_POLICY,
        certificateArn: this.certificates.certificate.arn,
        defaultActions: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
        tags,
      },
      child,
    );

    // ---- GPU capacity ---------------------------------------------------------------------------
    const instanceRole = new aws.iam.Role(`${name}-instance-role`, { assumeRolePolicy: trustPolicy('ec2.amazonaws.com', account), tags }, child);
    new aws.iam.RolePolicyAttachment(
      `${name}-instance-ecs`,
      { role: instanceRole.name, policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role` },
      child,
    );
    // The CloudWatch agent: its own namespace only, and the tag lookup behind AutoScalingGroupName.
    new aws.iam.RolePolicy(
      `${name}-instance-metrics`,
      {
        role: instanceRole.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Sid: 'GpuMetrics', Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } } },
            { Sid: 'AgentDimensions', Effect: 'Allow', Action: 'ec2:DescribeTags', Resource: '*' },
          ],
        }),
      },
      child,
    );
    const instanceProfile = new aws.iam.InstanceProfile(`${name}-instance-profile`, { role: instanceRole.name, tags }, child);
    const ami = aws.ssm.getParameterOutput({ name: ECS_GPU_AMI_PARAMETER }, child);

    // IMDSv2 only, hop limit 1: the ECS agent runs in the host network and reaches IMDS in one hop;
    // containers (one hop further) cannot, and ECS_AWSVPC_BLOCK_IMDS blocks awsvpc tasks too, so tasks
    // only ever hold their own task-role credentials, never the instance role's.
    const userData = this.cluster.name.apply((cluster) =>
      Buffer.from(
        [
          '#!/bin/bash',
          'set -euo pipefail',
          'cat >> /etc/ecs/ecs.config <<EOF',
          `ECS_CLUSTER=${cluster}`,
          'ECS_ENABLE_SPOT_INSTANCE_DRAINING=true',
          'ECS_ENABLE_GPU_SUPPORT=true',
          'ECS_AWSVPC_BLOCK_IMDS=true',
          'ECS_IMAGE_PULL_BEHAVIOR=prefer-cached',
          'ECS_CONTAINER_STOP_TIMEOUT=90s',
          'EOF',
          // GPU metrics (ECS publishes none): the CloudWatch agent's nvidia_gpu input, aggregated per
          // Auto Scaling group (infra/observability.ts GPU_AGENT_METRICS). Best effort: a failed install
          // must not keep the host out of the cluster.
          `cat > ${CW_AGENT_CONFIG} <<'EOF'`,
          JSON.stringify(CW_AGENT_GPU_CONFIG),
          'EOF',
          `(dnf install -y amazon-cloudwatch-agent && /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${CW_AGENT_CONFIG}) || echo 'readscore: CloudWatch agent not started; no GPU metrics from this host' >&2`,
          '',
        ].join('\n'),
      ).toString('base64'),
    );
    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-lt`,
      {
        description: 'ReadScore Triton GPU hosts (ECS GPU-optimised AL2023)',
        imageId: ami.value,
        iamInstanceProfile: { arn: instanceProfile.arn },
        vpcSecurityGroupIds: [network.instanceSecurityGroup.id],
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
        // The Triton image is ~15 GB; room for it and one newer version during a deployment.
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 100, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true', ...kms } }],
        ebsOptimized: 'true',
        monitoring: { enabled: true },
        userData,
        updateDefaultVersion: true,
        tagSpecifications: [
          { resourceType: 'instance', tags: named('triton-gpu') },
          { resourceType: 'volume', tags: named('triton-gpu') },
        ],
        tags,
      },
      child,
    );

    const asgTags = (part: string) => [
      ...Object.entries(named(part)).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      // ECS adds this tag to groups it manages; declaring it keeps `pulumi up` from removing it.
      { key: 'AmazonECSManaged', value: '', propagateAtLaunch: true },
    ];
    const overrides = config.gpuInstanceTypes.map((instanceType) => ({ instanceType }));
    const launchTemplate = { launchTemplateSpecification: { launchTemplateId: this.launchTemplate.id, version: '$Latest' }, overrides };
    // Managed scaling owns the desired capacity; managed termination protection needs scale-in protection.
    const groupOptions = { parent: this, ignoreChanges: ['desiredCapacity'] };
    this.spotGroup = new aws.autoscaling.Group(
      `${name}-spot-asg`,
      {
        name: resourceName(config, 'triton-spot'),
        minSize: 0,
        maxSize: config.maxInstances,
        vpcZoneIdentifiers: network.privateSubnetIds,
        protectFromScaleIn: true,
        capacityRebalance: true,
        healthCheckType: 'EC2',
        mixedInstancesPolicy: {
          instancesDistribution: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: 'price-capacity-optimized' },
          launchTemplate,
        },
        tags: asgTags('triton-spot'),
      },
      groupOptions,
    );
    this.onDemandGroup = new aws.autoscaling.Group(
      `${name}-on-demand-asg`,
      {
        name: resourceName(config, 'triton-on-demand'),
        minSize: config.onDemandBase,
        maxSize: config.maxInstances,
        vpcZoneIdentifiers: network.privateSubnetIds,
        protectFromScaleIn: true,
        healthCheckType: 'EC2',
        // Same instance types in the config's order, so the fallback is not stuck on one type either.
        mixedInstancesPolicy: {
          instancesDistribution: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 100, onDemandAllocationStrategy: 'prioritized' },
          launchTemplate,
        },
        tags: asgTags('triton-on-demand'),
      },
      groupOptions,
    );
    const provider = (part: string, group: aws.autoscaling.Group) =>
      new aws.ecs.CapacityProvider(
        `${name}-${part}`,
        {
          name: resourceName(config, `triton-${part}`),
          autoScalingGroupProvider: {
            autoScalingGroupArn: group.arn,
            managedScaling: { status: 'ENABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: config.maxInstances, instanceWarmupPeriod: 300 },
            managedTerminationProtection: 'ENABLED',
            managedDraining: 'ENABLED',
          },
          tags,
        },
        child,
      );
    this.spotProvider = provider('spot', this.spotGroup);
    this.onDemandProvider = provider('on-demand', this.onDemandGroup);
    const strategy = pulumi.all([this.spotProvider.name, this.onDemandProvider.name]).apply(([spot, onDemand]) => spotFirstStrategy(spot, onDemand, config.onDemandBase));
    this.clusterCapacityProviders = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      { clusterName: this.cluster.name, capacityProviders: [this.spotProvider.name, this.onDemandProvider.name], defaultCapacityProviderStrategies: strategy },
      child,
    );

    // ---- Task definition --------------------------------------------------------------------------
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/readscore/${config.environment}/triton`, retentionInDays: config.logRetentionDays, ...kms, tags },
      child,
    );
    const serverSecretArn = this.certificates.serverSecret.arn;

    const executionRole = new aws.iam.Role(`${name}-execution-role`, { assumeRolePolicy: trustPolicy('ecs-tasks.amazonaws.com', account), tags }, child);
    const ecrImage = ECR_IMAGE.exec(config.tritonImage);
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      {
        role: executionRole.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: pulumi.interpolate`${logGroup.arn}:*` },
            // The TLS identity only: never the CA secret, never other secrets.
            { Sid: 'TlsIdentity', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: serverSecretArn },
            ...(kmsKeyArn
              ? [
                  {
                    Sid: 'TlsIdentityKey',
                    Effect: 'Allow',
                    Action: 'kms:Decrypt',
                    Resource: kmsKeyArn,
                    Condition: { StringEquals: { 'kms:ViaService': pulumi.interpolate`secretsmanager.${region}.amazonaws.com` } },
                  },
                ]
              : []),
            // nvcr.io images need no credentials; an image mirrored to ECR needs a pull grant on its repository.
            ...(ecrImage
              ? [
                  { Sid: 'EcrAuth', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
                  {
                    Sid: 'EcrPull',
                    Effect: 'Allow',
                    Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
                    Resource: pulumi.interpolate`arn:${partition}:ecr:${ecrImage[2]}:${ecrImage[1]}:repository/${ecrImage[3]}`,
                  },
                ]
              : []),
          ],
        }),
      },
      child,
    );

    const taskRole = new aws.iam.Role(`${name}-task-role`, { assumeRolePolicy: trustPolicy('ecs-tasks.amazonaws.com', account), tags }, child);
    const bucketArn = pulumi.interpolate`arn:${partition}:s3:::${repository.bucket}`;
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      {
        role: taskRole.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ListModelRepository',
              Effect: 'Allow',
              Action: 's3:ListBucket',
              Resource: bucketArn,
              ...(repository.prefix ? { Condition: { StringLike: { 's3:prefix': [repository.prefix, `${repository.prefix}*`] } } } : {}),
            },
            { Sid: 'ReadModelRepository', Effect: 'Allow', Action: 's3:GetObject', Resource: pulumi.interpolate`${bucketArn}/${repository.prefix}*` },
          ],
        }),
      },
      child,
    );

    const tlsDir = '/tmp/triton-tls';
    // Triton reads its TLS identity from files; ECS injects secrets as variables. The entry point writes
    // them to owner-only files and removes them from the environment before exec'ing Triton.
    const startScript = [
      'set -euo pipefail',
      'umask 077',
      `mkdir -p ${tlsDir}`,
      `printf '%s\\n' "$TRITON_TLS_CERT" > ${tlsDir}/server.crt`,
      `printf '%s\\n' "$TRITON_TLS_KEY" > ${tlsDir}/server.key`,
      'unset TRITON_TLS_CERT TRITON_TLS_KEY',
      [
        'exec tritonserver',
        `--model-repository=${repository.uri}`,
        '--model-control-mode=none',
        '--strict-readiness=true',
        '--exit-on-error=true',
        '--exit-timeout-secs=60',
        `--grpc-address=0.0.0.0 --grpc-port=${TRITON_GRPC_TLS_PORT}`,
        `--grpc-use-ssl=true --grpc-server-cert=${tlsDir}/server.crt --grpc-server-key=${tlsDir}/server.key`,
        // Plain HTTP only on loopback, for the container health check.
        '--allow-http=true --http-address=127.0.0.1 --http-port=8000',
      ].join(' '),
    ].join('\n');
    // bash's /dev/tcp: no dependency on curl being in the image.
    const healthCommand = "exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET /v2/health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '";
    const containerDefinitions = pulumi.jsonStringify([
      {
        name: TRITON_CONTAINER_NAME,
        image: config.tritonImage,
        essential: true,
        entryPoint: ['/bin/bash', '-c'],
        command: [startScript],
        cpu: 3072,
        memory: 14336,
        memoryReservation: 12288,
        resourceRequirements: [{ type: 'GPU', value: '1' }],
        portMappings: [{ name: 'grpc-tls', containerPort: TRITON_GRPC_TLS_PORT, protocol: 'tcp', appProtocol: 'grpc' }],
        secrets: [
          { name: 'TRITON_TLS_CERT', valueFrom: pulumi.interpolate`${serverSecretArn}:cert::` },
          { name: 'TRITON_TLS_KEY', valueFrom: pulumi.interpolate`${serverSecretArn}:key::` },
        ],
        environment: [
          { name: 'AWS_REGION', value: region },
          { name: 'AWS_DEFAULT_REGION', value: region },
          // Changes when the server certificate rotates: a new task revision rolls tasks onto it.
          { name: 'TRITON_TLS_NOT_AFTER', value: this.certificates.serverCert.validityEndTime },
        ],
        healthCheck: { command: ['CMD-SHELL', healthCommand], interval: 15, timeout: 5, retries: 3, startPeriod: 300 },
        ulimits: [
          { name: 'memlock', softLimit: -1, hardLimit: -1 },
          { name: 'stack', softLimit: 67_108_864, hardLimit: 67_108_864 },
        ],
        // Triton finishes in-flight requests (--exit-timeout-secs) inside the Spot two-minute warning.
        stopTimeout: 90,
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': logGroup.name, 'awslogs-region': region, 'awslogs-stream-prefix': TRITON_CONTAINER_NAME, mode: 'non-blocking', 'max-buffer-size': '4m' },
        },
      },
    ]);
    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: resourceName(config, 'triton'),
        networkMode: 'awsvpc',
        requiresCompatibilities: ['EC2'],
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        containerDefinitions,
        tags,
      },
      child,
    );

    // ---- Service --------------------------------------------------------------------------------
    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        name: resourceName(config, 'triton'),
        cluster: this.cluster.arn,
        taskDefinition: this.taskDefinition.arn,
        desiredCount: config.tritonDesiredCount,
        // Spot weight 1, on-demand base: the fallback controller flips the weights, `pulumi up` restores them.
        capacityProviderStrategies: strategy,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        healthCheckGracePeriodSeconds: 300,
        loadBalancers: [{ targetGroupArn: this.targetGroup.arn, containerName: TRITON_CONTAINER_NAME, containerPort: TRITON_GRPC_TLS_PORT }],
        networkConfiguration: { subnets: network.privateSubnetIds, securityGroups: [network.instanceSecurityGroup.id], assignPublicIp: false },
        orderedPlacementStrategies: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        enableEcsManagedTags: true,
        propagateTags: 'SERVICE',
        enableExecuteCommand: false,
        waitForSteadyState: false,
        tags,
      },
      // Autoscaling owns the desired count once the service exists.
      { parent: this, dependsOn: [this.listener, this.clusterCapacityProviders], ignoreChanges: ['desiredCount'] },
    );

    // ---- Spot → on-demand fallback controller -----------------------------------------------------
    const functionName = resourceName(config, 'triton-spot-fallback');
    const fallbackLogs = new aws.cloudwatch.LogGroup(
      `${name}-fallback-logs`,
      { name: `/aws/lambda/${functionName}`, retentionInDays: config.logRetentionDays, ...kms, tags },
      child,
    );
    const fallbackRole = new aws.iam.Role(`${name}-fallback-role`, { assumeRolePolicy: trustPolicy('lambda.amazonaws.com', account), tags }, child);
    const fallbackPolicy = new aws.iam.RolePolicy(
      `${name}-fallback-policy`,
      {
        role: fallbackRole.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            { Sid: 'ThisService', Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService'], Resource: this.service.arn },
            { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: pulumi.interpolate`${fallbackLogs.arn}:*` },
          ],
        }),
      },
      child,
    );
    this.fallbackFunction = new aws.lambda.Function(
      `${name}-fallback`,
      {
        name: functionName,
        description: 'Moves the Triton service to on-demand when Spot is short, and back after a cool-down',
        runtime: 'nodejs20.x',
        architectures: ['arm64'],
        handler: 'index.handler',
        role: fallbackRole.arn,
        code: new pulumi.asset.AssetArchive({ 'index.js': new pulumi.asset.StringAsset(FALLBACK_HANDLER_SOURCE) }),
        memorySize: 128,
        timeout: 30,
        // One at a time: concurrent events must not race two UpdateService calls.
        reservedConcurrentExecutions: 1,
        environment: {
          variables: {
            CLUSTER_NAME: this.cluster.name,
            SERVICE_NAME: this.service.name,
            SPOT_PROVIDER: this.spotProvider.name,
            ON_DEMAND_PROVIDER: this.onDemandProvider.name,
            ON_DEMAND_BASE: String(config.onDemandBase),
            COOL_DOWN_MINUTES: String(FALLBACK_COOL_DOWN_MINUTES),
          },
        },
        loggingConfig: { logFormat: 'JSON', logGroup: fallbackLogs.name },
        tags,
      },
      { parent: this, dependsOn: [fallbackLogs, fallbackPolicy] },
    );
    const trigger = (part: string, rule: aws.cloudwatch.EventRule, input?: string) => {
      new aws.cloudwatch.EventTarget(
        `${name}-${part}-target`,
        { rule: rule.name, arn: this.fallbackFunction.arn, retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 3600 }, ...(input ? { input } : {}) },
        child,
      );
      new aws.lambda.Permission(
        `${name}-${part}-invoke`,
        { function: this.fallbackFunction.name, action: 'lambda:InvokeFunction', principal: 'events.amazonaws.com', sourceArn: rule.arn, sourceAccount: account },
        child,
      );
    };
    this.fallbackRule = new aws.cloudwatch.EventRule(
      `${name}-placement-failure`,
      {
        name: resourceName(config, 'triton-placement-failure'),
        description: 'Triton tasks cannot be placed: move the service to on-demand',
        eventPattern: pulumi.jsonStringify({
          source: ['aws.ecs'],
          'detail-type': ['ECS Service Action'],
          resources: [this.service.arn],
          detail: { clusterArn: [this.cluster.arn], eventName: [...FALLBACK_ECS_EVENT_NAMES] },
        }),
        tags,
      },
      child,
    );
    trigger('placement-failure', this.fallbackRule);
    // With managed scaling a Spot shortage shows first as the ASG failing to launch, while tasks wait
    // in PROVISIONING; this is usually the earlier of the two signals.
    this.spotLaunchFailureRule = new aws.cloudwatch.EventRule(
      `${name}-spot-launch-failure`,
      {
        name: resourceName(config, 'triton-spot-launch-failure'),
        description: 'The Triton Spot group cannot launch instances: move the service to on-demand',
        eventPattern: pulumi.jsonStringify({
          source: ['aws.autoscaling'],
          'detail-type': ['EC2 Instance Launch Unsuccessful'],
          detail: { AutoScalingGroupName: [this.spotGroup.name] },
        }),
        tags,
      },
      child,
    );
    trigger('spot-launch-failure', this.spotLaunchFailureRule);
    this.restoreRule = new aws.cloudwatch.EventRule(
      `${name}-restore`,
      {
        name: resourceName(config, 'triton-spot-restore'),
        description: `Back to Spot first once the service has run ${FALLBACK_COOL_DOWN_MINUTES} min on on-demand`,
        scheduleExpression: 'rate(5 minutes)',
        tags,
      },
      child,
    );
    trigger('restore', this.restoreRule, JSON.stringify({ action: 'restore' }));

    // ---- Autoscaling --------------------------------------------------------------------------------
    const scaling = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: pulumi.interpolate`service/${this.cluster.name}/${this.service.name}`,
        minCapacity: config.tritonDesiredCount,
        // One GPU task per instance.
        maxCapacity: config.maxInstances,
        tags,
      },
      child,
    );
    const scalingTarget = { resourceId: scaling.resourceId, scalableDimension: scaling.scalableDimension, serviceNamespace: scaling.serviceNamespace };
    new aws.appautoscaling.Policy(
      `${name}-requests-per-target`,
      {
        ...scalingTarget,
        policyType: 'TargetTrackingScaling',
        targetTrackingScalingPolicyConfiguration: {
          targetValue: 50,
          predefinedMetricSpecification: {
            predefinedMetricType: 'ALBRequestCountPerTarget',
            resourceLabel: pulumi.interpolate`${this.alb.arnSuffix}/${this.targetGroup.arnSuffix}`,
          },
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
        },
      },
      child,
    );
    // Steps are relative to the alarm threshold (0.5 s): [0.5, 0.8) s → +1, ≥ 0.8 s → +2.
    const latencyPolicy = new aws.appautoscaling.Policy(
      `${name}-p95-latency`,
      {
        ...scalingTarget,
        policyType: 'StepScaling',
        stepScalingPolicyConfiguration: {
          adjustmentType: 'ChangeInCapacity',
          metricAggregationType: 'Maximum',
          cooldown: 120,
          stepAdjustments: [
            { metricIntervalLowerBound: '0', metricIntervalUpperBound: '0.3', scalingAdjustment: 1 },
            { metricIntervalLowerBound: '0.3', scalingAdjustment: 2 },
          ],
        },
      },
      child,
    );
    this.latencyAlarm = new aws.cloudwatch.MetricAlarm(
      `${name}-p95-latency-alarm`,
      {
        name: resourceName(config, 'triton-p95-latency-scale-out'),
        alarmDescription: 'Triton p95 target response time ≥ 500 ms: scale out (+1; +2 at ≥ 800 ms)',
        namespace: 'AWS/ApplicationELB',
        metricName: 'TargetResponseTime',
        dimensions: { LoadBalancer: this.alb.arnSuffix, TargetGroup: this.targetGroup.arnSuffix },
        extendedStatistic: 'p95',
        period: 60,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        threshold: 0.5,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        alarmActions: [latencyPolicy.arn],
        tags,
      },
      child,
    );

    this.url = pulumi.interpolate`https://${this.alb.dnsName}:${ALB_HTTPS_PORT}`;
    this.registerOutputs({
      url: this.url,
      caSecretArn: this.caSecret.arn,
      clusterName: this.cluster.name,
      serviceName: this.service.name,
      fallbackFunctionName: this.fallbackFunction.name,
    });
  }
}
