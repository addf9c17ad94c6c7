/**
 * Network and TLS policies: no plaintext listeners, TLS 1.2+ on HTTPS listeners, TLS to targets and
 * their health checks, internal load balancers, no public ingress, IMDSv2 on launch templates.
 */
import type { ResourceValidationPolicy } from '@pulumi/policy';
import { label, validateTokens } from './validation';
import { asArray, asNumber, asRecord, asString } from './values';

/** ELB security policies that negotiate TLS 1.2 or newer only (AWS's list of TLS 1.2+ policies). */
export const TLS12_POLICIES: readonly string[] = [
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04',
  'ELBSecurityPolicy-TLS-1-2-2017-01',
  'ELBSecurityPolicy-TLS-1-2-Ext-2018-06',
  'ELBSecurityPolicy-FS-1-2-2019-08',
  'ELBSecurityPolicy-FS-1-2-Res-2019-08',
  'ELBSecurityPolicy-FS-1-2-Res-2020-10',
];

const TLS_PROTOCOLS = ['HTTPS', 'TLS'];
const PUBLIC_CIDRS = ['0.0.0.0/0', '::/0'];

function protocolOf(props: Record<string, unknown>): string | undefined {
  return asString(props.protocol)?.toUpperCase();
}

function isHttpsRedirect(action: unknown): boolean {
  const a = asRecord(action);
  return a?.type === 'redirect' && asString(asRecord(a.redirect)?.protocol)?.toUpperCase() === 'HTTPS';
}

/** Listeners speak TLS; a plaintext HTTP listener may only redirect to HTTPS. */
export const listenerNoPlaintext: ResourceValidationPolicy = {
  name: 'listener-no-plaintext',
  description: 'Load balancer listeners must use HTTPS or TLS; an HTTP listener may only redirect to HTTPS.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('listener', (props, args, report) => {
    const protocol = protocolOf(props);
    if (protocol && TLS_PROTOCOLS.includes(protocol)) return;
    const actions = asArray(props.defaultActions);
    if ((protocol === undefined || protocol === 'HTTP') && actions.length > 0 && actions.every(isHttpsRedirect)) return;
    const port = asNumber(props.port);
    const kinds = actions.map((a) => asString(asRecord(a)?.type) ?? '?').join(', ') || 'none';
    report(
      `${label(args)} listens in plaintext (protocol ${protocol ?? 'unset'}${port === undefined ? '' : `, port ${port}`}, default actions: ${kinds}): set protocol HTTPS with a certificateArn and an sslPolicy, or make its only default action a redirect to protocol HTTPS.`,
    );
  }),
};

/** HTTPS/TLS listeners negotiate TLS 1.2 or newer. */
export const listenerTlsPolicy: ResourceValidationPolicy = {
  name: 'listener-tls-policy',
  description: 'HTTPS and TLS listeners must set sslPolicy to a TLS 1.2+ ELB security policy from the allow-list.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('listener', (props, args, report) => {
    const protocol = protocolOf(props);
    if (!protocol || !TLS_PROTOCOLS.includes(protocol)) return;
    const policy = asString(props.sslPolicy);
    if (policy && TLS12_POLICIES.includes(policy)) return;
    report(
      `${label(args)} uses sslPolicy ${policy ?? 'unset (AWS default ELBSecurityPolicy-2016-08 allows TLS 1.0)'}: set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another of ${TLS12_POLICIES.length} TLS 1.2+ policies in policies/network.ts).`,
    );
  }),
};

/** Target groups and their health checks use TLS (HTTPS, gRPC over HTTPS, or TLS on an NLB). */
export const targetGroupTls: ResourceValidationPolicy = {
  name: 'target-group-tls',
  description: 'Target groups must forward with HTTPS (gRPC over HTTPS) or TLS, and health-check over HTTPS.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('targetGroup', (props, args, report) => {
    if (props.targetType === 'lambda') return; // Lambda targets are invoked by the ELB service, not over the network.
    const protocol = protocolOf(props);
    if (!protocol || !TLS_PROTOCOLS.includes(protocol)) {
      report(`${label(args)} forwards with protocol ${protocol ?? 'unset (HTTP)'}: set protocol HTTPS (protocolVersion GRPC for gRPC) or TLS on a network load balancer.`);
    }
    const check = asRecord(props.healthCheck);
    const checkProtocol = asString(check?.protocol)?.toUpperCase();
    const allowed = protocol === 'TLS' ? ['HTTPS', 'TCP'] : ['HTTPS'];
    if (check?.enabled !== false && (!checkProtocol || !allowed.includes(checkProtocol))) {
      report(`${label(args)} health-checks with protocol ${checkProtocol ?? 'unset (HTTP)'}: set healthCheck.protocol to HTTPS.`);
    }
  }),
};

/** Load balancers stay inside the VPC. */
export const loadBalancerInternal: ResourceValidationPolicy = {
  name: 'load-balancer-internal',
  description: 'Load balancers must be internal (internal: true): the scoring service has no public clients.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens('loadBalancer', (props, args, report) => {
    if (props.internal === true) return;
    report(`${label(args)} is internet-facing (internal ${String(props.internal ?? 'unset')}): set internal: true and reach it from inside the VPC.`);
  }),
};

function publicCidrs(...values: unknown[]): string[] {
  return values.flatMap(asArray).filter((c): c is string => typeof c === 'string' && PUBLIC_CIDRS.includes(c));
}

function portRange(from: unknown, to: unknown): string {
  const f = asNumber(from);
  const t = asNumber(to);
  return f === undefined ? 'all ports' : f === t || t === undefined ? `port ${f}` : `ports ${f}-${t}`;
}

/** No ingress from anywhere: the load balancer is internal, so nothing needs 0.0.0.0/0 or ::/0. */
export const securityGroupNoPublicIngress: ResourceValidationPolicy = {
  name: 'security-group-no-public-ingress',
  description: 'Security groups and ingress rules must not allow 0.0.0.0/0 or ::/0; allow the VPC CIDR or a source security group instead.',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens(['securityGroup', 'securityGroupIngressRule', 'securityGroupRule'], (props, args, report) => {
    const fix = 'allow the VPC CIDR or a source security group instead (the load balancer is internal).';
    if (args.type === 'aws:ec2/securityGroup:SecurityGroup') {
      for (const rule of asArray(props.ingress).map(asRecord)) {
        const open = publicCidrs(rule?.cidrBlocks, rule?.ipv6CidrBlocks);
        if (open.length) report(`${label(args)} allows ingress from ${open.join(', ')} on ${portRange(rule?.fromPort, rule?.toPort)}: ${fix}`);
      }
      return;
    }
    if (args.type === 'aws:ec2/securityGroupRule:SecurityGroupRule' && props.type !== 'ingress') return;
    const open = publicCidrs(props.cidrIpv4, props.cidrIpv6, props.cidrBlocks, props.ipv6CidrBlocks);
    if (open.length) report(`${label(args)} allows ingress from ${open.join(', ')} on ${portRange(props.fromPort, props.toPort)}: ${fix}`);
  }),
};

/** Instance metadata requires session tokens (IMDSv2), so SSRF cannot read instance credentials. */
export const launchTemplateImdsv2: ResourceValidationPolicy = {
  name: 'launch-template-imdsv2',
  description: 'Launch templates and instances must require IMDSv2 (metadataOptions.httpTokens "required").',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens(['launchTemplate', 'instance'], (props, args, report) => {
    const tokens = asString(asRecord(props.metadataOptions)?.httpTokens);
    if (tokens === 'required') return;
    report(`${label(args)} allows IMDSv1 (metadataOptions.httpTokens ${tokens ?? 'unset'}): set metadataOptions { httpTokens: "required", httpEndpoint: "enabled" }.`);
  }),
};

/** The network and TLS policies. */
export const networkPolicies: ResourceValidationPolicy[] = [
  listenerNoPlaintext,
  listenerTlsPolicy,
  targetGroupTls,
  loadBalancerInternal,
  securityGroupNoPublicIngress,
  launchTemplateImdsv2,
];
