/**
 * The VPC of the GPU path: two private subnets (ALB, GPU hosts, Triton tasks, the scoring Lambda when
 * it calls Triton), two public subnets that hold only the NAT gateways, and the three security groups
 * that chain caller → ALB → Triton with no ingress from any CIDR.
 *
 * Egress — NAT gateways plus a free S3 gateway endpoint, not a full set of interface endpoints:
 * - NVIDIA's Triton image comes from nvcr.io and the scoring Lambda calls the product's AppSync API;
 *   neither has a VPC endpoint, so internet egress is needed anyway until the image is mirrored to
 *   ECR (ECR pull-through cache does not cover nvcr.io) and AppSync is reached another way.
 * - Cost: a NAT gateway is ~$33/month per AZ plus $0.045/GB. The interface endpoints the fleet would
 *   need instead (ecr.api, ecr.dkr, ecs, ecs-agent, ecs-telemetry, logs, monitoring, secretsmanager,
 *   sts, sqs, athena) are ~$7.30/month each per AZ, ~$160/month for two AZs, and still leave nvcr.io
 *   and AppSync unreachable. The S3 gateway endpoint is free and carries the bulk bytes (the model
 *   repository, ECR layers once mirrored), so those skip NAT data charges.
 * - Blast radius: NAT lets a compromised host reach the internet; it is bounded by security-group
 *   egress of 443 only, no inbound path at all (no public IPs, no 0.0.0.0/0 ingress), IMDSv2 with hop
 *   limit 1 and least-privilege roles. Prod runs one NAT per AZ so an AZ outage cannot cut the other
 *   AZ's egress; other stacks share one NAT to save ~$33/month.
 * - Mirroring the Triton image to ECR in CI is the step that would let this VPC drop NAT for the fleet.
 *
 * VPC flow logs (all traffic) go to a CloudWatch log group with the stack's retention.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config';
import { resourceName, type Tags } from './tags';

/** The port the ALB listens on (HTTPS only; there is no port-80 listener). */
export const ALB_HTTPS_PORT = 443;
/** Triton's gRPC port with TLS (`--grpc-port`); the only port the ALB reaches on a task. */
export const TRITON_GRPC_TLS_PORT = 8443;

/** Arguments of {@link Network}. */
export interface NetworkArgs {
  readonly config: StackConfig;
  readonly tags: Tags;
}

/** The number of AZs the GPU path spans (an ALB needs two). */
export const NETWORK_AZ_COUNT = 2;

/**
 * Splits a VPC CIDR into four equal blocks: `[private a, private b, public a, public b]`.
 * @example subnetCidrs('10.40.0.0/16') // ['10.40.0.0/18', '10.40.64.0/18', '10.40.128.0/18', '10.40.192.0/18']
 */
export function subnetCidrs(vpcCidr: string): [string, string, string, string] {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(vpcCidr);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefix = Number(match?.[5]);
  if (!match || octets.some((o) => o > 255) || prefix < 16 || prefix > 24) throw new Error(`config.vpcCidr: "${vpcCidr}" must be an IPv4 CIDR /16../24`);
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`config.vpcCidr: "${vpcCidr}" has host bits set`);
  const block = size / 4;
  const ip = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  const cidr = (i: number) => `${ip(base + i * block)}/${prefix + 2}`;
  return [cidr(0), cidr(1), cidr(2), cidr(3)];
}

/** The GPU path's VPC, subnets, egress and security groups. */
export class Network extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  /** Private subnets, one per AZ: ALB, GPU hosts, Triton tasks, VPC-attached Lambdas. */
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** Public subnets, one per AZ: NAT gateways only (no public IPs on launch). */
  readonly publicSubnetIds: pulumi.Output<string>[];
  /** The scoring Lambda's group: no ingress; egress 443 (ALB, AWS APIs, AppSync). */
  readonly lambdaSecurityGroup: aws.ec2.SecurityGroup;
  /** The internal ALB's group: ingress 443 from the Lambda group only; egress to Triton's TLS port. */
  readonly albSecurityGroup: aws.ec2.SecurityGroup;
  /** GPU hosts and Triton task ENIs: ingress on Triton's TLS port from the ALB group only; egress 443. */
  readonly instanceSecurityGroup: aws.ec2.SecurityGroup;
  readonly natGateways: aws.ec2.NatGateway[];
  readonly s3Endpoint: aws.ec2.VpcEndpoint;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before anything registers.
    const { config, tags } = args ?? ({} as Partial<NetworkArgs>);
    if (!config) throw new Error('Network: args.config is required');
    if (!tags) throw new Error('Network: args.tags is required');
    const cidrs = subnetCidrs(config.vpcCidr);
    super('readscore:index:Network', name, {}, opts);
    const child = { parent: this };
    const named = (part: string) => ({ ...tags, Name: resourceName(config, part) });

    this.vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: config.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: named('vpc') }, child);
    // The default group allows all traffic between its members: strip every rule so nothing can use it.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: this.vpc.id, ingress: [], egress: [], tags: named('default-locked') }, child);

    const zones = aws.getAvailabilityZonesOutput({ state: 'available' }, child).names.apply((names) => {
      if (names.length < NETWORK_AZ_COUNT) throw new Error(`Network: the region has ${names.length} available AZs; the GPU path needs ${NETWORK_AZ_COUNT}`);
      return names.slice(0, NETWORK_AZ_COUNT);
    });
    const suffixes = ['a', 'b'] as const;
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags: named('igw') }, child);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, { vpcId: this.vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }], tags: named('public') }, child);

    const publicSubnets = suffixes.map((s, i) => {
      const subnet = new aws.ec2.Subnet(
        `${name}-public-${s}`,
        { vpcId: this.vpc.id, cidrBlock: cidrs[2 + i], availabilityZone: zones.apply((z) => z[i] as string), mapPublicIpOnLaunch: false, tags: named(`public-${s}`) },
        child,
      );
      new aws.ec2.RouteTableAssociation(`${name}-public-${s}-rta`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, child);
      return subnet;
    });

    const natCount = config.environment === 'prod' ? NETWORK_AZ_COUNT : 1;
    this.natGateways = publicSubnets.slice(0, natCount).map((subnet, i) => {
      const s = suffixes[i] as string;
      const eip = new aws.ec2.Eip(`${name}-nat-${s}-eip`, { domain: 'vpc', tags: named(`nat-${s}`) }, child);
      return new aws.ec2.NatGateway(
        `${name}-nat-${s}`,
        { subnetId: subnet.id, allocationId: eip.id, connectivityType: 'public', tags: named(`nat-${s}`) },
        { parent: this, dependsOn: [igw] },
      );
    });

    const privateRouteTables: aws.ec2.RouteTable[] = [];
    const privateSubnets = suffixes.map((s, i) => {
      const nat = this.natGateways[Math.min(i, this.natGateways.length - 1)] as aws.ec2.NatGateway;
      const routes = new aws.ec2.RouteTable(
        `${name}-private-${s}-rt`,
        { vpcId: this.vpc.id, routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }], tags: named(`private-${s}`) },
        child,
      );
      privateRouteTables.push(routes);
      const subnet = new aws.ec2.Subnet(
        `${name}-private-${s}`,
        { vpcId: this.vpc.id, cidrBlock: cidrs[i], availabilityZone: zones.apply((z) => z[i] as string), mapPublicIpOnLaunch: false, tags: named(`private-${s}`) },
        child,
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${s}-rta`, { subnetId: subnet.id, routeTableId: routes.id }, child);
      return subnet;
    });
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.publicSubnetIds = publicSubnets.map((s) => s.id);

    // The policy stays open: ECR layers, AL2023 package repositories and the model bucket all come
    // through it; what each principal may read is scoped by its IAM role.
    const region = aws.getRegionOutput({}, child).region;
    this.s3Endpoint = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: this.vpc.id,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRouteTables.map((r) => r.id),
        tags: named('s3'),
      },
      child,
    );

    // Groups carry no inline rules: the rules below reference each other, which inline rules cannot.
    // Auto-named (Name tag for people), so a replacement can create the new group before the old goes.
    const group = (part: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${part}-sg`, { description, vpcId: this.vpc.id, revokeRulesOnDelete: true, tags: named(`${part}-sg`) }, child);
    this.lambdaSecurityGroup = group('lambda', 'ReadScore scoring Lambda: no ingress; HTTPS egress');
    this.albSecurityGroup = group('alb', 'ReadScore internal Triton ALB: HTTPS from the scoring Lambda only');
    this.instanceSecurityGroup = group('triton', 'ReadScore GPU hosts and Triton tasks: gRPC over TLS from the ALB only');

    new aws.vpc.SecurityGroupIngressRule(
      `${name}-alb-from-lambda`,
      {
        securityGroupId: this.albSecurityGroup.id,
        referencedSecurityGroupId: this.lambdaSecurityGroup.id,
        ipProtocol: 'tcp',
        fromPort: ALB_HTTPS_PORT,
        toPort: ALB_HTTPS_PORT,
        description: 'HTTPS from the scoring Lambda',
        tags,
      },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-to-triton`,
      {
        securityGroupId: this.albSecurityGroup.id,
        referencedSecurityGroupId: this.instanceSecurityGroup.id,
        ipProtocol: 'tcp',
        fromPort: TRITON_GRPC_TLS_PORT,
        toPort: TRITON_GRPC_TLS_PORT,
        description: 'gRPC over TLS to Triton tasks (traffic and health checks)',
        tags,
      },
      child,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-triton-from-alb`,
      {
        securityGroupId: this.instanceSecurityGroup.id,
        referencedSecurityGroupId: this.albSecurityGroup.id,
        ipProtocol: 'tcp',
        fromPort: TRITON_GRPC_TLS_PORT,
        toPort: TRITON_GRPC_TLS_PORT,
        description: 'gRPC over TLS from the ALB',
        tags,
      },
      child,
    );
    // HTTPS egress only: AWS APIs, nvcr.io (the Triton image), S3 through the gateway endpoint.
    // DNS (VPC resolver) and NTP (169.254.169.123) are not subject to security groups.
    for (const [part, sg, what] of [
      ['lambda', this.lambdaSecurityGroup, 'the ALB, AWS APIs and AppSync'],
      ['triton', this.instanceSecurityGroup, 'AWS APIs, ECR/S3 and nvcr.io'],
    ] as const) {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-${part}-https-out`,
        { securityGroupId: sg.id, cidrIpv4: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 443, toPort: 443, description: `HTTPS to ${what}`, tags },
        child,
      );
    }

    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { name: `/readscore/${config.environment}/vpc-flow-logs`, retentionInDays: config.logRetentionDays, tags },
      child,
    );
    const flowLogRole = new aws.iam.Role(
      `${name}-flow-logs-role`,
      {
        assumeRolePolicy: aws.getCallerIdentityOutput({}, child).accountId.apply((account) =>
          JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Condition: { StringEquals: { 'aws:SourceAccount': account } },
              },
            ],
          }),
        ),
        tags,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-flow-logs-policy`,
      {
        role: flowLogRole.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
              Resource: [flowLogGroup.arn, pulumi.interpolate`${flowLogGroup.arn}:*`],
            },
          ],
        }),
      },
      child,
    );
    new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId: this.vpc.id,
        trafficType: 'ALL',
        logDestinationType: 'cloud-watch-logs',
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        maxAggregationInterval: 60,
        tags,
      },
      child,
    );

    this.registerOutputs({
      vpcId: this.vpc.id,
      privateSubnetIds: this.privateSubnetIds,
      publicSubnetIds: this.publicSubnetIds,
      lambdaSecurityGroupId: this.lambdaSecurityGroup.id,
      albSecurityGroupId: this.albSecurityGroup.id,
      instanceSecurityGroupId: this.instanceSecurityGroup.id,
    });
  }
}
