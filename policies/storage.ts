/**
 * Storage policies: every S3 bucket the stack creates has default encryption, a public access block
 * with all four settings, a TLS-only bucket policy and lifecycle rules (each a separate resource in
 * @pulumi/aws 7, so these are stack policies matching by the `bucket` input); EBS volumes encrypted.
 */
import type { PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import type { TokenGroup } from './tokens';
import { label, refersTo, resourcesOf, validateTokens } from './validation';
import { asArray, asRecord, asString, isTrue, parseJson } from './values';

/** The four settings of a public access block, all of which must be true. */
export const PUBLIC_ACCESS_SETTINGS = ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'] as const;

/** The companion resources of `group` that configure `bucket` (their `bucket` input refers to it). */
function companions(resources: readonly PolicyResource[], group: TokenGroup, bucket: PolicyResource): PolicyResource[] {
  return resourcesOf(resources, group).filter((c) => refersTo(c, 'bucket', bucket));
}

function eachBucket(resources: readonly PolicyResource[], report: ReportViolation, check: (bucket: PolicyResource) => string | undefined): void {
  for (const bucket of resourcesOf(resources, 'bucket')) {
    const problem = check(bucket);
    if (problem) report(`${label(bucket)} (bucket ${asString(bucket.props.bucket) ?? bucket.name}) ${problem}`, bucket.urn);
  }
}

/** Buckets have default encryption (SSE-S3 or SSE-KMS) declared, not left to account defaults. */
export const s3BucketEncrypted: StackValidationPolicy = {
  name: 's3-bucket-encrypted',
  description: 'Every S3 bucket must have a BucketServerSideEncryptionConfigurationV2 with an AES256 or aws:kms default rule.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) =>
    eachBucket(args.resources, report, (bucket) => {
      if (asRecord(bucket.props.serverSideEncryptionConfiguration)) return undefined;
      const rules = companions(args.resources, 'bucketEncryption', bucket).flatMap((c) => asArray(c.props.rules));
      const algorithms = rules.map((r) => asString(asRecord(asRecord(r)?.applyServerSideEncryptionByDefault)?.sseAlgorithm));
      if (algorithms.some((a) => a === 'AES256' || a === 'aws:kms' || a === 'aws:kms:dsse')) return undefined;
      return 'has no default encryption: add an aws.s3.BucketServerSideEncryptionConfigurationV2 with bucket set to it and a rule applyServerSideEncryptionByDefault { sseAlgorithm: "aws:kms" or "AES256" }.';
    }),
};

/** Buckets block every form of public access. */
export const s3BucketPublicAccessBlocked: StackValidationPolicy = {
  name: 's3-bucket-public-access-blocked',
  description: 'Every S3 bucket must have a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) =>
    eachBucket(args.resources, report, (bucket) => {
      const blocks = companions(args.resources, 'bucketPublicAccessBlock', bucket);
      if (blocks.length === 0) return `has no public access block: add an aws.s3.BucketPublicAccessBlock with bucket set to it and ${PUBLIC_ACCESS_SETTINGS.join(', ')} all true.`;
      const missing = PUBLIC_ACCESS_SETTINGS.filter((s) => !blocks.some((b) => b.props[s] === true));
      return missing.length ? `has a public access block without ${missing.join(', ')}: set them to true.` : undefined;
    }),
};

/** Whether a bucket policy statement denies every request that is not over TLS. */
export function deniesInsecureTransport(statement: unknown): boolean {
  const s = asRecord(statement);
  if (!s || s.Effect !== 'Deny') return false;
  const principal = s.Principal;
  const everyone = principal === '*' || asArray(asRecord(principal)?.AWS).includes('*');
  const actions = asArray(s.Action);
  const condition = asRecord(asRecord(s.Condition)?.Bool);
  const secure = asArray(condition?.['aws:SecureTransport']).map(String);
  return everyone && (actions.includes('s3:*') || actions.includes('*')) && secure.includes('false');
}

/** Buckets refuse plaintext HTTP requests. */
export const s3BucketTlsOnly: StackValidationPolicy = {
  name: 's3-bucket-tls-only',
  description: 'Every S3 bucket must have a BucketPolicy that denies s3:* to everyone when aws:SecureTransport is false.',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) =>
    eachBucket(args.resources, report, (bucket) => {
      const statements = companions(args.resources, 'bucketPolicy', bucket).flatMap((p) => asArray(asRecord(parseJson(p.props.policy))?.Statement));
      if (statements.some(deniesInsecureTransport)) return undefined;
      return 'accepts plaintext HTTP: add an aws.s3.BucketPolicy with a statement { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucket ARN, bucket ARN + "/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }.';
    }),
};

/** Buckets expire or transition what they hold, so storage does not grow without bound. */
export const s3BucketLifecycle: StackValidationPolicy = {
  name: 's3-bucket-lifecycle',
  description: 'Every S3 bucket must have a BucketLifecycleConfigurationV2 with at least one Enabled rule (expiration or transition).',
  enforcementLevel: 'mandatory',
  validateStack: (args, report) =>
    eachBucket(args.resources, report, (bucket) => {
      const inline = asArray(bucket.props.lifecycleRules).some((r) => asRecord(r)?.enabled === true);
      const rules = companions(args.resources, 'bucketLifecycle', bucket).flatMap((c) => asArray(c.props.rules));
      if (inline || rules.some((r) => asRecord(r)?.status === 'Enabled')) return undefined;
      return 'has no lifecycle rules: add an aws.s3.BucketLifecycleConfigurationV2 with bucket set to it and an Enabled rule that expires or transitions objects (and aborts incomplete multipart uploads).';
    }),
};

function unencryptedDevices(props: Record<string, unknown>, type: string): string[] {
  if (type === 'aws:ebs/volume:Volume') return isTrue(props.encrypted) ? [] : ['the volume'];
  if (type === 'aws:ec2/instance:Instance') {
    const devices = [...(props.rootBlockDevice ? [{ deviceName: 'root', ...asRecord(props.rootBlockDevice) }] : []), ...asArray(props.ebsBlockDevices).map(asRecord)];
    return devices.filter((d) => !isTrue(d?.encrypted)).map((d) => asString(d?.deviceName) ?? '?');
  }
  return asArray(props.blockDeviceMappings)
    .map(asRecord)
    .filter((m) => m?.ebs !== undefined && !isTrue(asRecord(m.ebs)?.encrypted))
    .map((m) => asString(m?.deviceName) ?? '?');
}

/** EBS volumes (launch template mappings, instance devices, standalone volumes) are encrypted. */
export const ebsEncrypted: ResourceValidationPolicy = {
  name: 'ebs-encrypted',
  description: 'EBS volumes must be encrypted: launch templates declare their block device mappings with ebs.encrypted "true".',
  enforcementLevel: 'mandatory',
  validateResource: validateTokens(['launchTemplate', 'instance', 'ebsVolume'], (props, args, report) => {
    if (args.type === 'aws:ec2/launchTemplate:LaunchTemplate' && asArray(props.blockDeviceMappings).length === 0) {
      report(`${label(args)} declares no blockDeviceMappings, so the AMI's volumes may be unencrypted: map the root device with ebs { encrypted: "true", volumeType: "gp3" }.`);
      return;
    }
    const devices = unencryptedDevices(props, args.type);
    if (devices.length) report(`${label(args)} has unencrypted EBS storage (${devices.join(', ')}): set encrypted to true (launch templates: ebs.encrypted "true").`);
  }),
};

/** The storage policies. */
export const storagePolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  s3BucketEncrypted,
  s3BucketPublicAccessBlocked,
  s3BucketTlsOnly,
  s3BucketLifecycle,
  ebsEncrypted,
];
