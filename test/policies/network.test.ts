/** Network and TLS policies against real @pulumi/aws 7 listener, target group, LB, SG and launch template args. */
import type * as aws from '@pulumi/aws';
import { launchTemplateImdsv2, listenerNoPlaintext, listenerTlsPolicy, loadBalancerInternal, securityGroupNoPublicIngress, targetGroupTls } from '../../policies/network';
import { checkResource, NotApplicableError } from './policyHarness';

const LISTENERS = ['aws:lb/listener:Listener', 'aws:alb/listener:Listener'];
const TARGET_GROUPS = ['aws:lb/targetGroup:TargetGroup', 'aws:alb/targetGroup:TargetGroup'];
const LOAD_BALANCERS = ['aws:lb/loadBalancer:LoadBalancer', 'aws:alb/loadBalancer:LoadBalancer'];

const https = {
  loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/readscore/1',
  port: 443,
  protocol: 'HTTPS',
  sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/1',
  defaultActions: [{ type: 'forward', targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/triton/1' }],
} satisfies aws.lb.ListenerArgs;

describe('listener-no-plaintext', () => {
  it.each(LISTENERS)('passes an HTTPS listener and an HTTP→HTTPS redirect (%s)', async (type) => {
    expect(await checkResource(listenerNoPlaintext, type, https)).toEqual([]);
    const redirect = {
      ...https,
      port: 80,
      protocol: 'HTTP',
      defaultActions: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    } satisfies aws.lb.ListenerArgs;
    expect(await checkResource(listenerNoPlaintext, type, redirect)).toEqual([]);
  });

  it.each(LISTENERS)('fails an HTTP listener on port 80 that forwards (%s)', async (type) => {
    const plain = { ...https, port: 80, protocol: 'HTTP', sslPolicy: undefined } satisfies aws.lb.ListenerArgs;
    expect(await checkResource(listenerNoPlaintext, type, plain, { name: 'web' })).toEqual([
      `${type} web listens in plaintext (protocol HTTP, port 80, default actions: forward): set protocol HTTPS with a certificateArn and an sslPolicy, or make its only default action a redirect to protocol HTTPS.`,
    ]);
  });

  it('fails a listener without a protocol, and says it does not apply to other types', async () => {
    const [message] = await checkResource(listenerNoPlaintext, 'aws:lb/listener:Listener', { ...https, protocol: undefined });
    expect(message).toContain('listens in plaintext (protocol unset, port 443');
    await expect(checkResource(listenerNoPlaintext, 'aws:sqs/queue:Queue', {})).rejects.toThrow(NotApplicableError);
  });
});

describe('listener-tls-policy', () => {
  it.each(LISTENERS)('passes a TLS 1.2+ policy (%s)', async (type) => {
    expect(await checkResource(listenerTlsPolicy, type, https)).toEqual([]);
  });

  it.each(LISTENERS)('fails the AWS default policy and an unset one (%s)', async (type) => {
    expect(await checkResource(listenerTlsPolicy, type, { ...https, sslPolicy: 'ELBSecurityPolicy-2016-08' }, { name: 'api' })).toEqual([
      `${type} api uses sslPolicy ELBSecurityPolicy-2016-08: set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another of 13 TLS 1.2+ policies in policies/network.ts).`,
    ]);
    const [unset] = await checkResource(listenerTlsPolicy, type, { ...https, sslPolicy: undefined });
    expect(unset).toContain('uses sslPolicy unset (AWS default ELBSecurityPolicy-2016-08 allows TLS 1.0)');
  });
});

describe('target-group-tls', () => {
  const grpc = {
    port: 8001,
    protocol: 'HTTPS',
    protocolVersion: 'GRPC',
    targetType: 'ip',
    vpcId: 'vpc-1',
    healthCheck: { protocol: 'HTTPS', path: '/inference.GRPCInferenceService/ServerReady', matcher: '0' },
  } satisfies aws.lb.TargetGroupArgs;

  it.each(TARGET_GROUPS)('passes gRPC over HTTPS with HTTPS health checks (%s)', async (type) => {
    expect(await checkResource(targetGroupTls, type, grpc)).toEqual([]);
    expect(await checkResource(targetGroupTls, type, { targetType: 'lambda' } satisfies aws.lb.TargetGroupArgs)).toEqual([]);
  });

  it.each(TARGET_GROUPS)('fails HTTP forwarding and HTTP health checks (%s)', async (type) => {
    const http = { ...grpc, protocol: 'HTTP', protocolVersion: undefined, healthCheck: { path: '/health' } } satisfies aws.lb.TargetGroupArgs;
    expect(await checkResource(targetGroupTls, type, http, { name: 'triton' })).toEqual([
      `${type} triton forwards with protocol HTTP: set protocol HTTPS (protocolVersion GRPC for gRPC) or TLS on a network load balancer.`,
      `${type} triton health-checks with protocol unset (HTTP): set healthCheck.protocol to HTTPS.`,
    ]);
  });
});

describe('load-balancer-internal', () => {
  it.each(LOAD_BALANCERS)('passes an internal load balancer (%s)', async (type) => {
    expect(await checkResource(loadBalancerInternal, type, { internal: true, loadBalancerType: 'application' } satisfies aws.lb.LoadBalancerArgs)).toEqual([]);
  });

  it.each(LOAD_BALANCERS)('fails an internet-facing one (%s)', async (type) => {
    expect(await checkResource(loadBalancerInternal, type, { loadBalancerType: 'application' } satisfies aws.lb.LoadBalancerArgs, { name: 'alb' })).toEqual([
      `${type} alb is internet-facing (internal unset): set internal: true and reach it from inside the VPC.`,
    ]);
  });
});

describe('security-group-no-public-ingress', () => {
  it('passes ingress from the VPC CIDR in every rule form', async () => {
    const group = { vpcId: 'vpc-1', ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['10.40.0.0/16'] }] } satisfies aws.ec2.SecurityGroupArgs;
    expect(await checkResource(securityGroupNoPublicIngress, 'aws:ec2/securityGroup:SecurityGroup', group)).toEqual([]);
    const rule = { securityGroupId: 'sg-1', ipProtocol: 'tcp', fromPort: 8001, toPort: 8001, cidrIpv4: '10.40.0.0/16' } satisfies aws.vpc.SecurityGroupIngressRuleArgs;
    expect(await checkResource(securityGroupNoPublicIngress, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', rule)).toEqual([]);
    const egress = { type: 'egress', securityGroupId: 'sg-1', protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] } satisfies aws.ec2.SecurityGroupRuleArgs;
    expect(await checkResource(securityGroupNoPublicIngress, 'aws:ec2/securityGroupRule:SecurityGroupRule', egress)).toEqual([]);
  });

  it('fails 0.0.0.0/0 and ::/0 ingress in every rule form', async () => {
    const group = {
      vpcId: 'vpc-1',
      ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrBlocks: ['0.0.0.0/0'], ipv6CidrBlocks: ['::/0'] }],
    } satisfies aws.ec2.SecurityGroupArgs;
    const fix = 'allow the VPC CIDR or a source security group instead (the load balancer is internal).';
    expect(await checkResource(securityGroupNoPublicIngress, 'aws:ec2/securityGroup:SecurityGroup', group, { name: 'alb' })).toEqual([
      `aws:ec2/securityGroup:SecurityGroup alb allows ingress from 0.0.0.0/0, ::/0 on port 443: ${fix}`,
    ]);
    const rule = { securityGroupId: 'sg-1', ipProtocol: '-1', cidrIpv6: '::/0' } satisfies aws.vpc.SecurityGroupIngressRuleArgs;
    expect(await checkResource(securityGroupNoPublicIngress, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', rule, { name: 'all' })).toEqual([
      `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule all allows ingress from ::/0 on all ports: ${fix}`,
    ]);
    const legacy = { type: 'ingress', securityGroupId: 'sg-1', protocol: 'tcp', fromPort: 22, toPort: 22, cidrBlocks: ['0.0.0.0/0'] } satisfies aws.ec2.SecurityGroupRuleArgs;
    expect(await checkResource(securityGroupNoPublicIngress, 'aws:ec2/securityGroupRule:SecurityGroupRule', legacy, { name: 'ssh' })).toEqual([
      `aws:ec2/securityGroupRule:SecurityGroupRule ssh allows ingress from 0.0.0.0/0 on port 22: ${fix}`,
    ]);
  });
});

describe('launch-template-imdsv2', () => {
  it('passes httpTokens required', async () => {
    const template = { imageId: 'ami-1', metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 2 } } satisfies aws.ec2.LaunchTemplateArgs;
    expect(await checkResource(launchTemplateImdsv2, 'aws:ec2/launchTemplate:LaunchTemplate', template)).toEqual([]);
  });

  it('fails optional tokens (IMDSv1)', async () => {
    const template = { imageId: 'ami-1', metadataOptions: { httpTokens: 'optional' } } satisfies aws.ec2.LaunchTemplateArgs;
    expect(await checkResource(launchTemplateImdsv2, 'aws:ec2/launchTemplate:LaunchTemplate', template, { name: 'gpu' })).toEqual([
      'aws:ec2/launchTemplate:LaunchTemplate gpu allows IMDSv1 (metadataOptions.httpTokens optional): set metadataOptions { httpTokens: "required", httpEndpoint: "enabled" }.',
    ]);
  });
});
