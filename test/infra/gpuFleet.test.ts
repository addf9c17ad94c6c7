/**
 * Network + GpuFleet under mocks: the HTTPS-only chain caller → ALB → Triton, the Spot/on-demand
 * capacity and its fallback controller (wiring here, behaviour by running the inline handler against
 * a fake ECS client), host hardening and the task's secret handling.
 */
import { X509Certificate } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { parseStackConfig, type StackConfig } from '../../infra/config';
import {
  CW_AGENT_GPU_CONFIG,
  FALLBACK_COOL_DOWN_MINUTES,
  FALLBACK_HANDLER_SOURCE,
  GpuFleet,
  parseModelRepositoryUri,
  spotFirstStrategy,
  TRITON_SSL_POLICY,
  validateGpuFleetConfig,
} from '../../infra/gpuFleet';
import { type MockedStack, type RecordedResource, runMocked } from '../../infra/mock/harness';
import { Network, subnetCidrs, TRITON_GRPC_TLS_PORT } from '../../infra/network';
import { stackTags } from '../../infra/tags';

const KMS = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function tritonConfig(overrides: Record<string, unknown> = {}): StackConfig {
  return parseStackConfig('prod', {
    engine: 'triton',
    owner: 'reading-platform',
    costCenter: 'cc-1042',
    imageTag: 'v0.1.0',
    audioBucket: 'tutor-speech-prod',
    storyBucket: 'tutor-content-prod',
    storyKey: 'stories/story-phrases.json',
    athenaDatabase: 'tutor_prod',
    appsyncSecretName: 'readscore/prod/appsync',
    alarmEmail: 'reading-oncall@example.org',
    modelRepositoryUri: 's3://readscore-prod-models/triton/',
    gpuInstanceTypes: 'g5.xlarge,g6.xlarge',
    onDemandBase: '1',
    maxInstances: '6',
    tritonDesiredCount: '2',
    ...overrides,
  });
}

function mockFleet(config: StackConfig, kmsKeyArn?: string): Promise<MockedStack> {
  return runMocked(config, (opts) => {
    const root = new pulumi.ComponentResource('test:index:Root', 'root', {}, opts);
    const tags = stackTags(config);
    const network = new Network('network', { config, tags }, { parent: root });
    const fleet = new GpuFleet('triton', { config, tags, network, ...(kmsKeyArn ? { kmsKeyArn } : {}) }, { parent: root });
    return { url: fleet.url, caSecretArn: fleet.caSecret.arn };
  });
}

type Statement = { Sid?: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };
const statements = (policy: RecordedResource): Statement[] => (JSON.parse(policy.inputs.policy as string) as { Statement: Statement[] }).Statement;
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

interface ContainerDefinition {
  name: string;
  image: string;
  command: string[];
  secrets: { name: string; valueFrom: string }[];
  environment: { name: string; value: string }[];
  resourceRequirements: { type: string; value: string }[];
  healthCheck: { command: string[] };
  portMappings: { containerPort: number }[];
}

describe('GpuFleet', () => {
  const config = tritonConfig();
  let stack: MockedStack;
  const ref = (value: unknown) => stack.byRef(value);
  const policyOf = (role: RecordedResource) => stack.ofType('aws:iam/rolePolicy:RolePolicy').find((p) => p.inputs.role === `${role.name}-id`) as RecordedResource;

  beforeAll(async () => {
    stack = await mockFleet(config, KMS);
  });

  describe('load balancer and TLS', () => {
    it('has exactly one listener: HTTPS 443 with a TLS 1.3 policy and the imported ACM certificate, forwarding to the target group', () => {
      const listeners = stack.ofType('aws:lb/listener:Listener', 'aws:alb/listener:Listener');
      expect(listeners).toHaveLength(1);
      const listener = listeners[0] as RecordedResource;
      expect(listener.inputs).toMatchObject({ port: 443, protocol: 'HTTPS', sslPolicy: TRITON_SSL_POLICY });
      expect(String(listener.inputs.sslPolicy)).toContain('TLS13');
      expect(ref(listener.inputs.certificateArn)?.type).toBe('aws:acm/certificate:Certificate');
      expect(ref(listener.inputs.loadBalancerArn)).toBe(stack.one('aws:lb/loadBalancer:LoadBalancer'));
      expect(listener.inputs.defaultActions).toEqual([expect.objectContaining({ type: 'forward', targetGroupArn: stack.one('aws:lb/targetGroup:TargetGroup').state.arn })]);
    });

    it('is an internal ALB in the private subnets, dropping invalid headers, protected from deletion in prod', () => {
      const alb = stack.one('aws:lb/loadBalancer:LoadBalancer');
      expect(alb.inputs).toMatchObject({ internal: true, loadBalancerType: 'application', dropInvalidHeaderFields: true, enableDeletionProtection: true });
      const privateSubnets = stack.ofType('aws:ec2/subnet:Subnet').filter((s) => s.name.includes('private'));
      expect(alb.inputs.subnets).toEqual(privateSubnets.map((s) => `${s.name}-id`));
      expect(alb.inputs.securityGroups).toEqual([`${stack.one('aws:ec2/securityGroup:SecurityGroup', 'alb').name}-id`]);
      expect(String(alb.inputs.name).length).toBeLessThanOrEqual(32);
    });

    it('forwards gRPC over HTTPS to Triton and health-checks over HTTPS with gRPC status 0', () => {
      const tg = stack.one('aws:lb/targetGroup:TargetGroup');
      expect(tg.inputs).toMatchObject({ protocol: 'HTTPS', protocolVersion: 'GRPC', port: TRITON_GRPC_TLS_PORT, targetType: 'ip' });
      expect(tg.inputs.healthCheck).toMatchObject({ protocol: 'HTTPS', matcher: '0', path: '/inference.GRPCInferenceService/ServerReady' });
    });

    it('certifies the ALB DNS name with a CA-signed certificate and outputs the https URL and CA secret', () => {
      const alb = stack.one('aws:lb/loadBalancer:LoadBalancer');
      const ca = new X509Certificate(stack.one('tls:index/selfSignedCert:SelfSignedCert').state.certPem as string);
      const server = new X509Certificate(stack.one('tls:index/locallySignedCert:LocallySignedCert').state.certPem as string);
      expect(server.subjectAltName).toBe(`DNS:${alb.state.dnsName}`);
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(stack.outputs.url).toBe(`https://${alb.state.dnsName}:443`);
      expect(stack.outputs.caSecretArn).toBe(stack.one('aws:secretsmanager/secret:Secret', 'triton-ca').state.arn);
    });
  });

  describe('network', () => {
    it('lets no security group take ingress from a CIDR; the ALB takes 443 from the Lambda group, Triton its TLS port from the ALB', () => {
      for (const sg of stack.ofType('aws:ec2/securityGroup:SecurityGroup', 'aws:ec2/defaultSecurityGroup:DefaultSecurityGroup')) expect(sg.inputs.ingress ?? []).toEqual([]);
      expect(stack.ofType('aws:ec2/securityGroupRule:SecurityGroupRule')).toEqual([]);
      const group = (part: string) => `${stack.one('aws:ec2/securityGroup:SecurityGroup', `${part}-sg`).name}-id`;
      const ingress = stack.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').map((r) => r.inputs);
      for (const rule of ingress) {
        expect(rule.cidrIpv4).toBeUndefined();
        expect(rule.cidrIpv6).toBeUndefined();
        expect(rule.prefixListId).toBeUndefined();
      }
      expect(ingress).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ securityGroupId: group('alb'), referencedSecurityGroupId: group('lambda'), fromPort: 443, toPort: 443 }),
          expect.objectContaining({ securityGroupId: group('triton'), referencedSecurityGroupId: group('alb'), fromPort: TRITON_GRPC_TLS_PORT, toPort: TRITON_GRPC_TLS_PORT }),
        ]),
      );
      expect(ingress).toHaveLength(2);
    });

    it('spans two AZs, routes private subnets through a NAT per AZ in prod, and keeps S3 on the gateway endpoint', () => {
      const subnets = stack.ofType('aws:ec2/subnet:Subnet');
      expect(subnets.map((s) => s.inputs.availabilityZone)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1a', 'us-east-1b']);
      expect(subnets.every((s) => s.inputs.mapPublicIpOnLaunch === false)).toBe(true);
      expect(stack.ofType('aws:ec2/natGateway:NatGateway')).toHaveLength(2);
      expect(stack.one('aws:ec2/vpcEndpoint:VpcEndpoint').inputs).toMatchObject({ serviceName: 'com.amazonaws.us-east-1.s3', vpcEndpointType: 'Gateway' });
      expect(stack.one('aws:ec2/flowLog:FlowLog').inputs).toMatchObject({ trafficType: 'ALL', logDestinationType: 'cloud-watch-logs' });
    });
  });

  describe('GPU capacity', () => {
    it('launches the ECS GPU AMI with IMDSv2 required, encrypted gp3 volumes and the ECS agent settings', () => {
      const templates = stack.ofType('aws:ec2/launchTemplate:LaunchTemplate');
      expect(templates.length).toBeGreaterThan(0);
      for (const lt of templates) {
        expect(lt.inputs.imageId).toBe('ami-0gpu0000000000000');
        expect(lt.inputs.metadataOptions).toMatchObject({ httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 });
        const devices = lt.inputs.blockDeviceMappings as { ebs: Record<string, unknown> }[];
        expect(devices.length).toBeGreaterThan(0);
        for (const d of devices) expect(d.ebs).toMatchObject({ encrypted: 'true', volumeType: 'gp3', kmsKeyId: KMS });
        const userData = Buffer.from(lt.inputs.userData as string, 'base64').toString('utf8');
        expect(userData).toContain('ECS_ENABLE_SPOT_INSTANCE_DRAINING=true');
        expect(userData).toContain('ECS_ENABLE_GPU_SUPPORT=true');
        expect(userData).toContain(`ECS_CLUSTER=${stack.one('aws:ecs/cluster:Cluster').inputs.name}`);
        expect(userData).toContain('ECS_AWSVPC_BLOCK_IMDS=true');
        expect(userData).toContain(JSON.stringify(CW_AGENT_GPU_CONFIG));
      }
    });

    it('lets the hosts publish GPU metrics to the CWAgent namespace only, next to the ECS instance policy', () => {
      const profile = stack.one('aws:iam/instanceProfile:InstanceProfile');
      expect(stack.one('aws:ec2/launchTemplate:LaunchTemplate').inputs.iamInstanceProfile).toEqual({ arn: profile.state.arn });
      const role = stack.one('aws:iam/role:Role', 'instance-role');
      expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0].Principal).toEqual({ Service: 'ec2.amazonaws.com' });
      const metrics = statements(policyOf(role)).find((s) => s.Action === 'cloudwatch:PutMetricData');
      expect(metrics?.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'CWAgent' } });
      expect(stack.one('aws:iam/rolePolicyAttachment:RolePolicyAttachment').inputs.policyArn).toBe('arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role');
    });

    it('runs Spot across the configured types price-capacity-optimised with rebalancing, and an on-demand group with the base as minimum', () => {
      const spot = stack.one('aws:autoscaling/group:Group', 'spot');
      const policy = spot.inputs.mixedInstancesPolicy as { instancesDistribution: Record<string, unknown>; launchTemplate: { overrides: { instanceType: string }[] } };
      expect(policy.instancesDistribution).toMatchObject({ onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: 'price-capacity-optimized' });
      expect(policy.launchTemplate.overrides.map((o) => o.instanceType)).toEqual(['g5.xlarge', 'g6.xlarge']);
      expect(spot.inputs).toMatchObject({ capacityRebalance: true, protectFromScaleIn: true, minSize: 0, maxSize: 6 });
      const onDemand = stack.one('aws:autoscaling/group:Group', 'on-demand');
      expect(onDemand.inputs).toMatchObject({ minSize: 1, maxSize: 6, protectFromScaleIn: true });
      for (const group of [spot, onDemand]) expect(group.inputs.vpcZoneIdentifiers).toEqual(stack.one('aws:lb/loadBalancer:LoadBalancer').inputs.subnets);
    });

    it('puts a capacity provider with managed scaling and termination protection over each group, both on the cluster', () => {
      for (const [part, group] of [
        ['triton-spot', 'spot'],
        ['triton-on-demand', 'on-demand'],
      ] as const) {
        const provider = stack.one('aws:ecs/capacityProvider:CapacityProvider', part);
        const asg = provider.inputs.autoScalingGroupProvider as Record<string, unknown>;
        expect(ref(asg.autoScalingGroupArn)).toBe(stack.one('aws:autoscaling/group:Group', group));
        expect(asg).toMatchObject({ managedTerminationProtection: 'ENABLED', managedScaling: expect.objectContaining({ status: 'ENABLED' }) });
      }
      const attached = stack.one('aws:ecs/clusterCapacityProviders:ClusterCapacityProviders').inputs;
      expect(attached.capacityProviders).toEqual(['readscore-prod-triton-spot', 'readscore-prod-triton-on-demand']);
      expect(stack.one('aws:ecs/cluster:Cluster').inputs.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
    });
  });

  describe('service', () => {
    it('names both providers: Spot weight 1, the on-demand base on on-demand; circuit breaker with rollback; tasks behind the target group', () => {
      const service = stack.one('aws:ecs/service:Service');
      expect(service.inputs.capacityProviderStrategies).toEqual([
        { capacityProvider: 'readscore-prod-triton-spot', weight: 1, base: 0 },
        { capacityProvider: 'readscore-prod-triton-on-demand', weight: 0, base: config.onDemandBase },
      ]);
      expect(service.inputs).toMatchObject({ desiredCount: 2, deploymentCircuitBreaker: { enable: true, rollback: true }, deploymentMinimumHealthyPercent: 100 });
      expect(service.inputs.loadBalancers).toEqual([
        { targetGroupArn: stack.one('aws:lb/targetGroup:TargetGroup').state.arn, containerName: 'triton', containerPort: TRITON_GRPC_TLS_PORT },
      ]);
      expect(service.inputs.networkConfiguration).toMatchObject({
        assignPublicIp: false,
        securityGroups: [`${stack.one('aws:ec2/securityGroup:SecurityGroup', 'triton-sg').name}-id`],
      });
      expect(ref(service.inputs.taskDefinition)?.type).toBe('aws:ecs/taskDefinition:TaskDefinition');
    });

    it('runs Triton on one GPU with TLS on gRPC, the cert and key from Secrets Manager via `secrets`, never in the environment', () => {
      const task = stack.one('aws:ecs/taskDefinition:TaskDefinition');
      expect(task.inputs).toMatchObject({ networkMode: 'awsvpc', requiresCompatibilities: ['EC2'] });
      const [container, ...others] = JSON.parse(task.inputs.containerDefinitions as string) as ContainerDefinition[];
      expect(others).toEqual([]);
      if (!container) throw new Error('no container');
      const serverSecret = stack.one('aws:secretsmanager/secret:Secret', 'server-tls').state.arn as string;
      expect(container.image).toBe(config.tritonImage);
      expect(container.secrets).toEqual([
        { name: 'TRITON_TLS_CERT', valueFrom: `${serverSecret}:cert::` },
        { name: 'TRITON_TLS_KEY', valueFrom: `${serverSecret}:key::` },
      ]);
      expect(JSON.stringify(container.environment)).not.toMatch(/BEGIN|PRIVATE KEY/);
      expect(task.inputs.containerDefinitions).not.toContain('PRIVATE KEY');
      expect(container.resourceRequirements).toEqual([{ type: 'GPU', value: '1' }]);
      const command = container.command.join('\n');
      expect(command).toContain('--model-repository=s3://readscore-prod-models/triton');
      expect(command).toContain(`--grpc-port=${TRITON_GRPC_TLS_PORT}`);
      expect(command).toContain('--grpc-use-ssl=true');
      expect(command).toContain('--http-address=127.0.0.1');
      expect(container.healthCheck.command.join(' ')).toContain('/v2/health/ready');
      expect(container.portMappings.map((p) => p.containerPort)).toEqual([TRITON_GRPC_TLS_PORT]);
    });

    it('lets the execution role read the server secret only, and the task role read the model repository prefix only', () => {
      const task = stack.one('aws:ecs/taskDefinition:TaskDefinition');
      const execution = statements(policyOf(ref(task.inputs.executionRoleArn) as RecordedResource));
      const secretGrants = execution.filter((s) => list(s.Action).some((a) => a.startsWith('secretsmanager:')));
      expect(secretGrants).toEqual([
        expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: stack.one('aws:secretsmanager/secret:Secret', 'server-tls').state.arn }),
      ]);
      expect(JSON.stringify(execution)).not.toContain(stack.one('aws:secretsmanager/secret:Secret', 'triton-ca').state.arn as string);
      const taskPolicy = statements(policyOf(ref(task.inputs.taskRoleArn) as RecordedResource));
      expect(taskPolicy).toEqual([
        expect.objectContaining({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::readscore-prod-models', Condition: { StringLike: { 's3:prefix': ['triton/', 'triton/*'] } } }),
        expect.objectContaining({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::readscore-prod-models/triton/*' }),
      ]);
    });
  });

  describe('Spot → on-demand fallback', () => {
    it('routes this service’s placement failures to the fallback function', () => {
      const rule = stack.one('aws:cloudwatch/eventRule:EventRule', 'placement-failure');
      const service = stack.one('aws:ecs/service:Service');
      const pattern = JSON.parse(rule.inputs.eventPattern as string);
      expect(pattern).toEqual({
        source: ['aws.ecs'],
        'detail-type': ['ECS Service Action'],
        resources: [service.state.arn],
        detail: { clusterArn: [stack.one('aws:ecs/cluster:Cluster').state.arn], eventName: ['SERVICE_TASK_PLACEMENT_FAILURE'] },
      });
      const fn = stack.one('aws:lambda/function:Function');
      const targets = stack.ofType('aws:cloudwatch/eventTarget:EventTarget').filter((t) => t.inputs.rule === rule.inputs.name);
      expect(targets.map((t) => t.inputs.arn)).toEqual([fn.state.arn]);
      const permission = stack.ofType('aws:lambda/permission:Permission').find((p) => p.inputs.sourceArn === rule.state.arn);
      expect(permission?.inputs).toMatchObject({ function: fn.inputs.name, principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction' });
    });

    it('also reacts to Spot launch failures, and asks for a restore on a schedule', () => {
      const fn = stack.one('aws:lambda/function:Function');
      const launch = stack.one('aws:cloudwatch/eventRule:EventRule', 'launch-failure');
      expect(JSON.parse(launch.inputs.eventPattern as string).detail).toEqual({ AutoScalingGroupName: [stack.one('aws:autoscaling/group:Group', 'spot').inputs.name] });
      const restore = stack.one('aws:cloudwatch/eventRule:EventRule', 'restore');
      const target = stack.ofType('aws:cloudwatch/eventTarget:EventTarget').find((t) => t.inputs.rule === restore.inputs.name);
      expect(target?.inputs).toMatchObject({ arn: fn.state.arn, input: JSON.stringify({ action: 'restore' }) });
      expect(stack.ofType('aws:cloudwatch/eventTarget:EventTarget').every((t) => t.inputs.arn === fn.state.arn)).toBe(true);
    });

    it('gives the function this service’s names in its environment and a role limited to this service', () => {
      const fn = stack.one('aws:lambda/function:Function');
      const service = stack.one('aws:ecs/service:Service');
      expect(fn.inputs).toMatchObject({ runtime: 'nodejs20.x', handler: 'index.handler', reservedConcurrentExecutions: 1 });
      expect((fn.inputs.environment as { variables: Record<string, string> }).variables).toEqual({
        CLUSTER_NAME: 'readscore-prod-triton',
        SERVICE_NAME: service.inputs.name,
        SPOT_PROVIDER: 'readscore-prod-triton-spot',
        ON_DEMAND_PROVIDER: 'readscore-prod-triton-on-demand',
        ON_DEMAND_BASE: '1',
        COOL_DOWN_MINUTES: String(FALLBACK_COOL_DOWN_MINUTES),
      });
      const policy = statements(policyOf(ref(fn.inputs.role) as RecordedResource));
      const ecs = policy.filter((s) => list(s.Action).some((a) => a.startsWith('ecs:')));
      expect(ecs).toEqual([expect.objectContaining({ Action: ['ecs:DescribeServices', 'ecs:UpdateService'], Resource: service.state.arn })]);
      expect(JSON.stringify(policy)).not.toContain('"*"');
    });
  });

  describe('autoscaling', () => {
    it('tracks 50 requests per target per minute and steps out on p95 latency at 0.5 s (+1) and 0.8 s (+2)', () => {
      const alb = stack.one('aws:lb/loadBalancer:LoadBalancer');
      const tg = stack.one('aws:lb/targetGroup:TargetGroup');
      const target = stack.one('aws:appautoscaling/target:Target');
      expect(target.inputs).toMatchObject({ resourceId: 'service/readscore-prod-triton/readscore-prod-triton', minCapacity: 2, maxCapacity: 6 });
      const requests = stack.one('aws:appautoscaling/policy:Policy', 'requests-per-target');
      expect(requests.inputs.targetTrackingScalingPolicyConfiguration).toMatchObject({
        targetValue: 50,
        predefinedMetricSpecification: { predefinedMetricType: 'ALBRequestCountPerTarget', resourceLabel: `${alb.state.arnSuffix}/${tg.state.arnSuffix}` },
      });
      const step = stack.one('aws:appautoscaling/policy:Policy', 'p95-latency');
      expect((step.inputs.stepScalingPolicyConfiguration as { stepAdjustments: unknown[] }).stepAdjustments).toEqual([
        { metricIntervalLowerBound: '0', metricIntervalUpperBound: '0.3', scalingAdjustment: 1 },
        { metricIntervalLowerBound: '0.3', scalingAdjustment: 2 },
      ]);
      const alarm = stack.one('aws:cloudwatch/metricAlarm:MetricAlarm');
      expect(alarm.inputs).toMatchObject({
        metricName: 'TargetResponseTime',
        extendedStatistic: 'p95',
        threshold: 0.5,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        dimensions: { LoadBalancer: alb.state.arnSuffix, TargetGroup: tg.state.arnSuffix },
        alarmActions: [step.state.arn],
      });
    });
  });

  it('keeps every resource inside its component', () => {
    const parents: Record<string, string | undefined> = {
      'test:index:Root::root': undefined,
      'readscore:index:Network::network': 'test:index:Root::root',
      'readscore:index:GpuFleet::triton': 'test:index:Root::root',
      'readscore:index:TritonCertificates::triton-tls': 'readscore:index:GpuFleet::triton',
    };
    const components = Object.keys(parents).slice(1);
    for (const r of stack.resources) {
      const key = `${r.type}::${r.name}`;
      if (key in parents) expect([key, r.parent]).toEqual([key, parents[key]]);
      else expect(components).toContain(r.parent);
    }
  });

  it('uses one NAT gateway outside prod, and no KMS key unless given', async () => {
    const dev = await mockFleet(tritonConfig({ environment: 'dev' }));
    expect(dev.ofType('aws:ec2/natGateway:NatGateway')).toHaveLength(1);
    expect(dev.one('aws:lb/loadBalancer:LoadBalancer').inputs.enableDeletionProtection).toBe(false);
    const lt = dev.one('aws:ec2/launchTemplate:LaunchTemplate');
    expect((lt.inputs.blockDeviceMappings as { ebs: Record<string, unknown> }[])[0]?.ebs).toMatchObject({ encrypted: 'true' });
    expect((lt.inputs.blockDeviceMappings as { ebs: Record<string, unknown> }[])[0]?.ebs.kmsKeyId).toBeUndefined();
  });
});

/** Runs the inline handler source against a fake ECS client. */
function loadFallbackHandler(service: Record<string, unknown>) {
  const sent: { command: string; input: Record<string, unknown> }[] = [];
  const command = (name: string) =>
    class {
      readonly name = name;
      constructor(readonly input: Record<string, unknown>) {}
    };
  const fakeEcs = {
    ECSClient: class {
      async send(cmd: { name: string; input: Record<string, unknown> }) {
        sent.push({ command: cmd.name, input: cmd.input });
        return cmd.name === 'DescribeServices' ? { services: [service] } : {};
      }
    },
    DescribeServicesCommand: command('DescribeServices'),
    UpdateServiceCommand: command('UpdateService'),
  };
  const env = { CLUSTER_NAME: 'c', SERVICE_NAME: 's', SPOT_PROVIDER: 'spot', ON_DEMAND_PROVIDER: 'od', ON_DEMAND_BASE: '1', COOL_DOWN_MINUTES: '30' };
  const module = { exports: {} as Record<string, unknown> };
  const requireFake = (id: string) => {
    if (id !== '@aws-sdk/client-ecs') throw new Error(`unexpected require ${id}`);
    return fakeEcs;
  };
  new Function('exports', 'require', 'process', 'console', FALLBACK_HANDLER_SOURCE)(module.exports, requireFake, { env }, { log: () => {} });
  return { handler: module.exports.handler as (event: unknown) => Promise<{ action: string }>, sent };
}

describe('fallback handler', () => {
  const onSpot = { capacityProviderStrategy: spotFirstStrategy('spot', 'od', 1), deployments: [{ status: 'PRIMARY', createdAt: new Date() }] };
  const onDemandSince = (minutesAgo: number) => ({
    capacityProviderStrategy: [
      { capacityProvider: 'spot', weight: 0, base: 0 },
      { capacityProvider: 'od', weight: 1, base: 1 },
    ],
    deployments: [{ status: 'PRIMARY', createdAt: new Date(Date.now() - minutesAgo * 60_000) }],
  });
  const placementFailure = { source: 'aws.ecs', 'detail-type': 'ECS Service Action', detail: { eventName: 'SERVICE_TASK_PLACEMENT_FAILURE', reason: 'RESOURCE:GPU' } };

  it('moves a Spot-first service to on-demand, keeping the base, with a new deployment', async () => {
    const { handler, sent } = loadFallbackHandler(onSpot);
    await expect(handler(placementFailure)).resolves.toEqual({ action: 'fallback' });
    expect(sent[1]).toEqual({
      command: 'UpdateService',
      input: {
        cluster: 'c',
        service: 's',
        forceNewDeployment: true,
        capacityProviderStrategy: [
          { capacityProvider: 'spot', weight: 0, base: 0 },
          { capacityProvider: 'od', weight: 1, base: 1 },
        ],
      },
    });
  });

  it('does nothing when the service is already on on-demand, or for an event it does not know', async () => {
    const fallenBack = loadFallbackHandler(onDemandSince(1));
    await expect(fallenBack.handler({ ...placementFailure, source: 'aws.autoscaling' })).resolves.toEqual({ action: 'none' });
    const stranger = loadFallbackHandler(onSpot);
    await expect(stranger.handler({ source: 'aws.s3' })).resolves.toEqual({ action: 'none' });
    expect([...fallenBack.sent, ...stranger.sent].map((c) => c.command)).toEqual(['DescribeServices', 'DescribeServices']);
  });

  it('restores Spot first only after the cool-down', async () => {
    const early = loadFallbackHandler(onDemandSince(FALLBACK_COOL_DOWN_MINUTES - 5));
    await expect(early.handler({ action: 'restore' })).resolves.toEqual({ action: 'none' });
    const late = loadFallbackHandler(onDemandSince(FALLBACK_COOL_DOWN_MINUTES + 1));
    await expect(late.handler({ action: 'restore' })).resolves.toEqual({ action: 'restore' });
    expect(late.sent[1]?.input.capacityProviderStrategy).toEqual(spotFirstStrategy('spot', 'od', 1));
    const alreadySpot = loadFallbackHandler(onSpot);
    await expect(alreadySpot.handler({ action: 'restore' })).resolves.toEqual({ action: 'none' });
  });
});

describe('validateGpuFleetConfig', () => {
  it('names the key that is wrong', () => {
    expect(validateGpuFleetConfig(tritonConfig())).toEqual({ uri: 's3://readscore-prod-models/triton', bucket: 'readscore-prod-models', prefix: 'triton/' });
    expect(() => validateGpuFleetConfig(tritonConfig({ gpuInstanceTypes: 'g5.xlarge,m5.xlarge' }))).toThrow('config.gpuInstanceTypes: m5.xlarge is not a GPU instance type');
    expect(() => validateGpuFleetConfig(tritonConfig({ onDemandBase: '7' }))).toThrow('config.onDemandBase');
    expect(() => validateGpuFleetConfig(tritonConfig({ tritonDesiredCount: '7' }))).toThrow('config.tritonDesiredCount');
    expect(() => validateGpuFleetConfig({ ...tritonConfig(), engine: 'cpu' })).toThrow('config.engine');
    expect(() => validateGpuFleetConfig({ ...tritonConfig(), modelRepositoryUri: undefined })).toThrow('config.modelRepositoryUri');
  });

  it('refuses a bad KMS key ARN before registering anything', async () => {
    const config = tritonConfig();
    await expect(
      runMocked(config, (opts) => {
        // Validation runs before the network is read, so a stand-in keeps this run free of registrations.
        new GpuFleet('triton', { config, tags: stackTags(config), network: {} as Network, kmsKeyArn: 'alias/readscore' }, opts);
        return {};
      }),
    ).rejects.toThrow('args.kmsKeyArn "alias/readscore" must be a KMS key ARN');
  });
});

describe('parseModelRepositoryUri', () => {
  it('splits bucket and prefix and drops the trailing slash Triton does not want', () => {
    expect(parseModelRepositoryUri('s3://models-bucket')).toEqual({ uri: 's3://models-bucket', bucket: 'models-bucket', prefix: '' });
    expect(parseModelRepositoryUri('s3://models-bucket/a/b/')).toEqual({ uri: 's3://models-bucket/a/b', bucket: 'models-bucket', prefix: 'a/b/' });
    expect(() => parseModelRepositoryUri('https://models-bucket/')).toThrow('config.modelRepositoryUri');
  });
});

describe('subnetCidrs', () => {
  it('splits the VPC into four equal blocks and refuses a misaligned CIDR', () => {
    expect(subnetCidrs('10.40.0.0/16')).toEqual(['10.40.0.0/18', '10.40.64.0/18', '10.40.128.0/18', '10.40.192.0/18']);
    expect(subnetCidrs('192.168.10.0/24')).toEqual(['192.168.10.0/26', '192.168.10.64/26', '192.168.10.128/26', '192.168.10.192/26']);
    expect(() => subnetCidrs('10.40.1.0/16')).toThrow('config.vpcCidr');
    expect(() => subnetCidrs('10.40.0.0/28')).toThrow('config.vpcCidr');
  });
});
