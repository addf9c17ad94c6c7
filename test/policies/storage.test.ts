/** Storage policies: S3 bucket companions matched by their `bucket` input, and encrypted EBS storage. */
import type * as aws from '@pulumi/aws';
import type { PolicyResource } from '@pulumi/policy';
import { ebsEncrypted, s3BucketEncrypted, s3BucketLifecycle, s3BucketPublicAccessBlocked, s3BucketTlsOnly } from '../../policies/storage';
import { checkResource, checkStack, stackResource } from './policyHarness';

const BUCKETS = ['aws:s3/bucketV2:BucketV2', 'aws:s3/bucket:Bucket'];
const name = 'readscore-dev-results';

/** A bucket (outputs as the mock returns them) plus companions whose `bucket` is its name. */
function bucketStack(type: string, companions: PolicyResource[]): PolicyResource[] {
  return [stackResource(type, 'results', { bucket: name, arn: `arn:aws:s3:::${name}`, forceDestroy: false } satisfies aws.s3.BucketV2Args & { arn: string }), ...companions];
}

const encryption = stackResource('aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2', 'results-sse', {
  bucket: name,
  rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: 'alias/readscore' }, bucketKeyEnabled: true }],
} satisfies aws.s3.BucketServerSideEncryptionConfigurationV2Args);

const block = (settings: Partial<aws.s3.BucketPublicAccessBlockArgs> = {}) =>
  stackResource('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', 'results-block', {
    bucket: 'results-id',
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
    ...settings,
  } satisfies aws.s3.BucketPublicAccessBlockArgs);

const tlsOnly = stackResource('aws:s3/bucketPolicy:BucketPolicy', 'results-policy', {
  bucket: name,
  policy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  }),
} satisfies aws.s3.BucketPolicyArgs);

const lifecycle = (status: string) =>
  stackResource('aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2', 'results-lifecycle', {
    bucket: name,
    rules: [{ id: 'transition', status, transitions: [{ days: 90, storageClass: 'STANDARD_IA' }], abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }],
  } satisfies aws.s3.BucketLifecycleConfigurationV2Args);

describe('s3-bucket-encrypted', () => {
  it.each(BUCKETS)('passes a bucket with an SSE configuration (%s)', async (type) => {
    expect(await checkStack(s3BucketEncrypted, bucketStack(type, [encryption]))).toEqual([]);
  });

  it.each(BUCKETS)('fails a bucket without one, naming the bucket and the fix (%s)', async (type) => {
    const other = stackResource(encryption.type, 'other-sse', { ...encryption.props, bucket: 'someone-elses-bucket' });
    expect(await checkStack(s3BucketEncrypted, bucketStack(type, [other]))).toEqual([
      [
        `urn:pulumi:test::readscore::${type}::results`,
        `${type} results (bucket ${name}) has no default encryption: add an aws.s3.BucketServerSideEncryptionConfigurationV2 with bucket set to it and a rule applyServerSideEncryptionByDefault { sseAlgorithm: "aws:kms" or "AES256" }.`,
      ],
    ]);
  });
});

describe('bucket companions under their non-V2 tokens', () => {
  it('count for encryption and lifecycle', async () => {
    const sse = stackResource('aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration', 'sse', encryption.props);
    const rules = stackResource('aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration', 'rules', lifecycle('Enabled').props);
    expect(await checkStack(s3BucketEncrypted, bucketStack('aws:s3/bucket:Bucket', [sse]))).toEqual([]);
    expect(await checkStack(s3BucketLifecycle, bucketStack('aws:s3/bucket:Bucket', [rules]))).toEqual([]);
  });
});

describe('s3-bucket-public-access-blocked', () => {
  it.each(BUCKETS)('passes a block with all four settings, matched by the bucket id (%s)', async (type) => {
    expect(await checkStack(s3BucketPublicAccessBlocked, bucketStack(type, [block()]))).toEqual([]);
  });

  it.each(BUCKETS)('fails no block, and a block with a setting off (%s)', async (type) => {
    const [[, none] = []] = await checkStack(s3BucketPublicAccessBlocked, bucketStack(type, []));
    expect(none).toBe(
      `${type} results (bucket ${name}) has no public access block: add an aws.s3.BucketPublicAccessBlock with bucket set to it and blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets all true.`,
    );
    const [[, partial] = []] = await checkStack(s3BucketPublicAccessBlocked, bucketStack(type, [block({ restrictPublicBuckets: false })]));
    expect(partial).toBe(`${type} results (bucket ${name}) has a public access block without restrictPublicBuckets: set them to true.`);
  });
});

describe('s3-bucket-tls-only', () => {
  it.each(BUCKETS)('passes a policy denying aws:SecureTransport false (%s)', async (type) => {
    expect(await checkStack(s3BucketTlsOnly, bucketStack(type, [tlsOnly]))).toEqual([]);
  });

  it.each(BUCKETS)('fails a policy that only allows (%s)', async (type) => {
    const allowOnly = stackResource('aws:s3/bucketPolicy:BucketPolicy', 'results-policy', {
      bucket: name,
      policy: JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/scorer' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${name}/*` }],
      }),
    } satisfies aws.s3.BucketPolicyArgs);
    const [[, message] = []] = await checkStack(s3BucketTlsOnly, bucketStack(type, [allowOnly]));
    expect(message).toContain(
      `${type} results (bucket ${name}) accepts plaintext HTTP: add an aws.s3.BucketPolicy with a statement { Effect: "Deny", Principal: "*", Action: "s3:*"`,
    );
  });
});

describe('s3-bucket-lifecycle', () => {
  it.each(BUCKETS)('passes an Enabled rule (%s)', async (type) => {
    expect(await checkStack(s3BucketLifecycle, bucketStack(type, [lifecycle('Enabled')]))).toEqual([]);
  });

  it.each(BUCKETS)('fails only Disabled rules (%s)', async (type) => {
    expect((await checkStack(s3BucketLifecycle, bucketStack(type, [lifecycle('Disabled')]))).map(([, m]) => m)).toEqual([
      `${type} results (bucket ${name}) has no lifecycle rules: add an aws.s3.BucketLifecycleConfigurationV2 with bucket set to it and an Enabled rule that expires or transitions objects (and aborts incomplete multipart uploads).`,
    ]);
  });
});

describe('ebs-encrypted', () => {
  const template = {
    imageId: 'ami-1',
    blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { encrypted: 'true', volumeSize: 100, volumeType: 'gp3' } }],
  } satisfies aws.ec2.LaunchTemplateArgs;

  it('passes encrypted launch template mappings and volumes', async () => {
    expect(await checkResource(ebsEncrypted, 'aws:ec2/launchTemplate:LaunchTemplate', template)).toEqual([]);
    expect(await checkResource(ebsEncrypted, 'aws:ebs/volume:Volume', { availabilityZone: 'us-east-1a', size: 10, encrypted: true } satisfies aws.ebs.VolumeArgs)).toEqual([]);
  });

  it('fails an unencrypted mapping and a template without mappings', async () => {
    const plain = { ...template, blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 100 } }] } satisfies aws.ec2.LaunchTemplateArgs;
    expect(await checkResource(ebsEncrypted, 'aws:ec2/launchTemplate:LaunchTemplate', plain, { name: 'gpu' })).toEqual([
      'aws:ec2/launchTemplate:LaunchTemplate gpu has unencrypted EBS storage (/dev/xvda): set encrypted to true (launch templates: ebs.encrypted "true").',
    ]);
    expect(await checkResource(ebsEncrypted, 'aws:ec2/launchTemplate:LaunchTemplate', { imageId: 'ami-1' } satisfies aws.ec2.LaunchTemplateArgs, { name: 'gpu' })).toEqual([
      `aws:ec2/launchTemplate:LaunchTemplate gpu declares no blockDeviceMappings, so the AMI's volumes may be unencrypted: map the root device with ebs { encrypted: "true", volumeType: "gp3" }.`,
    ]);
  });
});
